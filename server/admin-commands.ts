/**
 * Operator commands: `user add|list|disable|enable|passwd`, `backup`,
 * `restore`, `config check|schema`. They work on an existing data directory
 * (a typo in --data is an error, not a new empty database); `user` and
 * `backup` also while a server runs (SQLite WAL allows a second connection),
 * `restore` only while none does. Results go to `out` (stdout); problems are
 * thrown as AdminError / ConfigError for main.ts to print.
 */
import { join } from 'node:path';
import { backupTo, BackupError, restoreInto } from './backup';
import { configFrom, type CommandLine } from './cli';
import { ConfigError, configJsonSchema, redactConfig, type ServerConfig } from './config';
import { DataDirLockedError, DataDirMissingError, existingDatabase } from './datadir';
import { PromptAborted, readPassword, type PromptIO } from './prompt';
import { ServiceError } from './services/errors';
import { addUser, listUsers, setUserDisabled, setUserPassword } from './services/admin';
import { usernameTaken } from './operations/accounts';
import { PostgresStore } from './storage/postgres-store';
import { SqliteStore } from './storage/sqlite-store';
import type { Store } from './storage/store';

/** A command that failed for a reason the operator can act on; exit status 1. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export interface AdminContext {
  cl: CommandLine;
  config: ServerConfig;
  env: NodeJS.ProcessEnv;
  /** One line of the command's result. */
  out: (line: string) => void;
  /** The terminal or pipe a password is read from. */
  io: PromptIO;
}

/** Which command flags each command accepts (others are refused, so a misplaced flag is not silently ignored). */
const commandFlagsAllowed: Record<string, Array<'password' | 'nickname' | 'force'>> = {
  'user add': ['password', 'nickname'],
  'user passwd': ['password'],
  restore: ['force'],
};

function commandName(words: readonly string[]): string {
  return words[0] === 'user' || words[0] === 'config' ? words.slice(0, 2).join(' ') : (words[0] ?? '');
}

/** Refuses command flags given to a command (or to the server) that does not take them. */
export function checkCommandFlags(cl: CommandLine): void {
  const name = commandName(cl.command);
  const allowed = commandFlagsAllowed[name] ?? [];
  const given = (['password', 'nickname', 'force'] as const).filter((f) => (f === 'force' ? cl.force : cl[f] !== undefined));
  for (const flag of given) {
    if (!allowed.includes(flag)) throw new ConfigError(`--${flag} does not apply to ${name ? `"${name}"` : 'running the server'}`);
  }
}

/** The server's store, for a command: the data directory's database (which must exist), or the PostgreSQL database. */
async function openStore(config: ServerConfig): Promise<Store> {
  if (config.store !== 'sqlite') return PostgresStore.open(config.store);
  return SqliteStore.open(existingDatabase(config.dataDir), { durability: 'full' });
}

async function withStore<T>(config: ServerConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const exists = (store: Store, username: string) => store.read(usernameTaken, username, Date.now());

async function passwordFor(ctx: AdminContext, username: string, confirm: boolean): Promise<string> {
  if (ctx.cl.password !== undefined) return ctx.cl.password;
  if (ctx.env.TERN_PASSWORD) return ctx.env.TERN_PASSWORD;
  const password = await readPassword(ctx.io, `Password for ${username}: `, confirm);
  if (password === '') throw new AdminError('no password given: type it at the prompt, pipe it on stdin, or use --password / TERN_PASSWORD');
  return password;
}

function needArgs(words: readonly string[], count: number, usage: string): void {
  if (words.length < count) throw new ConfigError(`usage: tern-server ${usage}`);
  if (words.length > count) throw new ConfigError(`unexpected argument ${words[count]} (usage: tern-server ${usage})`);
}

async function userCommand(ctx: AdminContext): Promise<void> {
  const { cl, config, out } = ctx;
  const [, action, name] = cl.command;
  switch (action) {
    case 'add': {
      needArgs(cl.command, 3, 'user add NAME [--nickname N] [--password P]');
      await withStore(config, async (store) => {
        // Asked before the password is typed, not after.
        if (await exists(store, name!)) throw new AdminError(`username ${name} is taken`);
        const user = await addUser(store, config.scrypt, name!, await passwordFor(ctx, name!, true), cl.nickname);
        out(`added user ${user.username} (id ${user.id})`);
      });
      return;
    }
    case 'list':
      needArgs(cl.command, 2, 'user list');
      await withStore(config, async (store) => {
        for (const u of await listUsers(store)) out(`${u.id}\t${u.username}\t${u.nickname}\t${u.disabled ? 'disabled' : 'active'}\t${u.createdAt}`);
      });
      return;
    case 'disable':
    case 'enable':
      needArgs(cl.command, 3, `user ${action} NAME`);
      await withStore(config, async (store) => {
        const user = await setUserDisabled(store, name!, action === 'disable');
        out(`${user.username} ${user.disabled ? 'disabled' : 'enabled'}`);
      });
      return;
    case 'passwd':
      needArgs(cl.command, 3, 'user passwd NAME [--password P]');
      await withStore(config, async (store) => {
        if (!(await exists(store, name!))) throw new AdminError(`no user ${name}`);
        await setUserPassword(store, config.scrypt, name!, await passwordFor(ctx, name!, true));
        out(`password of ${name} changed; its device tokens are revoked`);
      });
      return;
    default:
      throw new ConfigError(`unknown command "user ${action ?? ''}" (add, list, disable, enable, passwd; see --help)`);
  }
}

async function backupCommand(ctx: AdminContext): Promise<void> {
  needArgs(ctx.cl.command, 2, 'backup FILE');
  const target = ctx.cl.command[1]!;
  requireSqlite(ctx.config, 'backup');
  await withStore(ctx.config, async (store) => {
    const file = await backupTo(target, (f) => (store as SqliteStore).backup(f));
    ctx.out(`backup written to ${file}`);
    ctx.out(`(server.key is not in it: keep a copy of ${join(ctx.config.dataDir, 'server.key')} once, it does not change)`);
  });
}

/** backup and restore copy the embedded database file; PostgreSQL has its own tools. */
function requireSqlite(config: ServerConfig, command: string): void {
  if (config.store !== 'sqlite') throw new ConfigError(`${command} works on the embedded SQLite database; with PostgreSQL use pg_dump and pg_restore`);
}

async function restoreCommand(ctx: AdminContext): Promise<void> {
  requireSqlite(ctx.config, 'restore');
  needArgs(ctx.cl.command, 2, 'restore FILE [--force]');
  const result = restoreInto(ctx.config.dataDir, ctx.cl.command[1]!, { force: ctx.cl.force });
  ctx.out(`restored ${ctx.cl.command[1]} into ${join(ctx.config.dataDir, 'tern.db')} (${result.users} users)`);
  if (result.keptAs) ctx.out(`the database it replaced is kept as ${result.keptAs}`);
  if (!result.hasServerKey) {
    ctx.out(`note: ${ctx.config.dataDir} has no server.key: copy your backed-up key there before starting, or the server makes a new one and every client must re-pin it`);
  }
}

function configCommand(ctx: AdminContext): void {
  const action = ctx.cl.command[1];
  if (action === 'check') {
    needArgs(ctx.cl.command, 2, 'config check');
    ctx.out(JSON.stringify(redactConfig(ctx.config), null, 2));
  } else if (action === 'schema') {
    needArgs(ctx.cl.command, 2, 'config schema');
    ctx.out(JSON.stringify(configJsonSchema(), null, 2));
  } else {
    throw new ConfigError(`unknown command "config ${action ?? ''}" (check, schema; see --help)`);
  }
}

/** Runs an operator command. Errors the operator can act on are AdminError or ConfigError. */
export async function runAdmin(ctx: AdminContext): Promise<void> {
  checkCommandFlags(ctx.cl);
  try {
    switch (ctx.cl.command[0]) {
      case 'user':
        return await userCommand(ctx);
      case 'backup':
        return await backupCommand(ctx);
      case 'restore':
        return await restoreCommand(ctx);
      case 'config':
        return configCommand(ctx);
      default:
        throw new ConfigError(`unknown command "${ctx.cl.command[0]}" (user, backup, restore, config; see --help)`);
    }
  } catch (err) {
    if (err instanceof ServiceError || err instanceof BackupError || err instanceof DataDirMissingError) throw new AdminError(err.message);
    throw err;
  }
}

export interface CommandIO {
  /** A line of the result (stdout). */
  out: (line: string) => void;
  /** An error for people (stderr). */
  err: (line: string) => void;
  /** Where a password is read from. */
  prompt: PromptIO;
}

/**
 * Runs an operator command from its command line and returns the exit
 * status: 0 done, 1 failed (the reason on `err`), 2 bad command line or
 * configuration, 130 aborted at the password prompt.
 */
export async function runOperatorCommand(cl: CommandLine, env: NodeJS.ProcessEnv, io: CommandIO): Promise<number> {
  try {
    const config = configFrom(cl, env);
    await runAdmin({ cl, config, env, out: io.out, io: io.prompt });
    return 0;
  } catch (err) {
    if (err instanceof PromptAborted) return 130;
    const known = err instanceof ConfigError || err instanceof AdminError || err instanceof DataDirLockedError;
    io.err(`tern-server: ${known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return err instanceof ConfigError ? 2 : 1;
  }
}
