/**
 * Command line: `tern-server [options]` runs the server;
 * `tern-server user add|list|disable|enable|passwd ...` and
 * `tern-server backup FILE` are operator commands on the data directory.
 */
import { join } from 'node:path';
import { ConfigError, loadConfig, optionSpecs, type ServerConfig } from './config';
import { DB_FILE, ensureDataDir } from './datadir';
import { ServiceError } from './services/errors';
import { addUser, listUsers, setUserDisabled, setUserPassword } from './services/admin';
import { SqliteStore } from './storage/sqlite-store';

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string>;
  help: boolean;
}

const booleanFlags = new Set(['--help', '-h']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (booleanFlags.has(arg)) {
      help = true;
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) {
        flags.set(arg.slice(0, eq), arg.slice(eq + 1));
      } else {
        const value = argv[i + 1];
        if (value === undefined) throw new ConfigError(`${arg} needs a value`);
        flags.set(arg, value);
        i++;
      }
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags, help };
}

export function helpText(): string {
  const width = Math.max(...optionSpecs.map((s) => s.flag.length)) + 8;
  const lines = [
    'Usage: npm run server -- [options]            run the Tern IM server',
    '       npm run server -- user add NAME [--password P] [--nickname N]',
    '       npm run server -- user list | disable NAME | enable NAME | passwd NAME [--password P]',
    '       npm run server -- backup FILE            online copy of the database (VACUUM INTO)',
    '',
    'On start the server prints "listening on HOST:PORT" and "server key BASE64" on stdout;',
    'logs are JSON lines on stderr. Passwords not given with --password are read from TERN_PASSWORD.',
    '',
    'Options (also as environment variables, or keys of a JSON file given with --config FILE / TERN_SERVER_CONFIG):',
    ...optionSpecs.map((s) => `  ${(s.flag + ' <v>').padEnd(width)} ${s.help}  [${s.env}]`),
    `  ${'--config <file>'.padEnd(width)} JSON config file (camelCase keys, e.g. {"port": 7800, "scrypt": {"N": 32768, "r": 8, "p": 1}})`,
    `  ${'--help'.padEnd(width)} this text`,
  ];
  return lines.join('\n');
}

export function configFrom(args: ParsedArgs, env: NodeJS.ProcessEnv): ServerConfig {
  const known = new Set([...optionSpecs.map((s) => s.flag), '--config', '--password', '--nickname']);
  for (const flag of args.flags.keys()) if (!known.has(flag)) throw new ConfigError(`unknown option ${flag} (see --help)`);
  return loadConfig({ flags: args.flags, env });
}

/** Runs an operator command; returns the process exit code. */
export async function runAdmin(args: ParsedArgs, config: ServerConfig, out: (line: string) => void, env: NodeJS.ProcessEnv): Promise<number> {
  const [group, action, name] = args.positionals;
  ensureDataDir(config.dataDir);
  const store = SqliteStore.open(join(config.dataDir, DB_FILE), { durability: 'full' });
  const password = () => {
    const p = args.flags.get('--password') ?? env.TERN_PASSWORD;
    if (!p) throw new ConfigError('give the password with --password or TERN_PASSWORD');
    return p;
  };
  const needName = () => {
    if (!name) throw new ConfigError(`user ${action ?? ''} needs a username`);
    return name;
  };
  try {
    if (group === 'backup') {
      if (!action) throw new ConfigError('backup needs a target file');
      await store.backup(action);
      out(`backup written to ${action}`);
      return 0;
    }
    if (group !== 'user') throw new ConfigError(`unknown command ${group ?? ''} (see --help)`);
    switch (action) {
      case 'add': {
        const user = await addUser(store, config.scrypt, needName(), password(), args.flags.get('--nickname'));
        out(`added user ${user.username} (id ${user.id})`);
        return 0;
      }
      case 'list':
        for (const u of await listUsers(store)) out(`${u.id}\t${u.username}\t${u.nickname}\t${u.disabled ? 'disabled' : 'active'}\t${u.createdAt}`);
        return 0;
      case 'disable':
      case 'enable': {
        const user = await setUserDisabled(store, needName(), action === 'disable');
        out(`${user.username} ${user.disabled ? 'disabled' : 'enabled'}`);
        return 0;
      }
      case 'passwd':
        await setUserPassword(store, config.scrypt, needName(), password());
        out(`password of ${needName()} changed; its device tokens are revoked`);
        return 0;
      default:
        throw new ConfigError(`unknown user command ${action ?? ''} (add, list, disable, enable, passwd)`);
    }
  } catch (err) {
    if (err instanceof ServiceError) {
      out(`error: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await store.close();
  }
}
