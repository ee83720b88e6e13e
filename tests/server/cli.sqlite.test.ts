// The tern-server command line as operators use it: --version, usage and configuration errors (JSON on stderr,
// exit 2), operator commands on a data directory that must exist, backup and restore, the password prompt
// (no echo, on a real pseudo-terminal), and private database files. The command's behaviour is checked
// in-process (runOperatorCommand, what main.ts runs); what only the process shows (exit status, stderr, the
// terminal) through the real command.
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Command, ResultCode } from '../../shared/protocol';
import { startServer } from '../../server';
import { runOperatorCommand } from '../../server/admin-commands';
import { parseCommandLine } from '../../server/cli';
import { TestClient } from './helpers/client';
import { runCli } from './helpers/process';
import { removeDir, tempDir, testScrypt } from './helpers/server';
import { runOnTerminal, serverCommand } from './helpers/terminal';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir('tern-cli-test-');
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach(removeDir));

const env = { TERN_SERVER_LOG_LEVEL: 'warn', TERN_SERVER_SCRYPT: JSON.stringify(testScrypt) };
const mode = (file: string) => statSync(file).mode & 0o777;

/** An operator command run in-process as main.ts runs it; `input` is its (non-terminal) stdin. */
async function admin(args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runOperatorCommand(parseCommandLine(args), { ...env, ...extraEnv }, {
    out: (line) => (stdout += line + '\n'),
    err: (line) => (stderr += line + '\n'),
    prompt: { input: Readable.from(input === undefined ? [] : [input]), output: new PassThrough() },
  });
  return { code, stdout, stderr };
}

/** A data directory with a database, as a server leaves it, holding `users`. */
async function dataDirWith(users: string[]): Promise<string> {
  const data = join(dir(), 'data');
  const server = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt });
  await server.close();
  for (const name of users) expect((await admin(['user', 'add', name, '--data', data, '--password', `${name}-password`])).code).toBe(0);
  return data;
}

async function canLogin(data: string, username: string, password: string): Promise<ResultCode> {
  const server = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt });
  const client = await TestClient.connect(server);
  try {
    return await client.fails(Command.LOGIN, { username, credential: { case: 'password', value: password }, device: { deviceId: 'cli-test' } }).catch(() => ResultCode.OK);
  } finally {
    await client.close();
    await server.close();
  }
}

/** Every stderr line is one JSON object (what a log collector needs). */
function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('command line', () => {
  it('--version names the version and the commit', async () => {
    const result = await runCli(['--version']);
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim();
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`tern-server ${version} (commit ${commit}, node ${process.versions.node})\n`);
  });

  it('an unknown option or a bad configuration stops the start with exit 2 and JSON on stderr', async () => {
    const unknown = await runCli(['--prot', '7800'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    const [line] = jsonLines(unknown.stderr);
    expect(line).toMatchObject({ level: 60, msg: expect.stringContaining('unknown option --prot (did you mean --port?)') });

    const config = join(dir(), 'tern.json');
    writeFileSync(config, '{"loginFailuresPerAccount":"five"}');
    const bad = await runCli(['--config', config, '--port', '0', '--data', join(dir(), 'never')], env);
    expect(bad.code).toBe(2);
    const lines = jsonLines(bad.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.problems).toEqual([`config file ${config}: loginFailuresPerAccount: expected an integer, got "five"`]);

    expect(() => parseCommandLine(['--port'])).toThrow('--port needs a value');
    expect(() => parseCommandLine(['--port', '--data', 'x'])).toThrow('--port needs a value (write --port=VALUE for a value that starts with "-")');
    // A command's flag is not silently ignored where it does not apply.
    const misplaced = await runCli(['user', 'list', '--password', 'x', '--data', join(dir(), 'none')], env);
    expect(misplaced).toMatchObject({ code: 2, stderr: 'tern-server: --password does not apply to "user list"\n' });
  });

  it('config check prints the effective configuration; config schema the JSON Schema', async () => {
    const check = await admin(['config', 'check', '--port', '9000'], undefined, { TERN_SERVER_MAX_GROUP_SIZE: '42' });
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ port: 9000, maxGroupSize: 42, scrypt: testScrypt });
    const schema = await admin(['config', 'schema']);
    expect(JSON.parse(schema.stdout)).toMatchObject({ type: 'object', additionalProperties: false });
  });
});

describe('operator commands on a data directory', () => {
  it('refuse a data directory that does not exist, or holds no database, and create nothing', async () => {
    const typo = join(dir(), 'typo');
    const list = await runCli(['user', 'list', '--data', typo], env);
    expect(list.code).toBe(1);
    expect(list.stderr).toBe(`tern-server: data directory ${typo} does not exist (check --data or TERN_SERVER_DATA; a server creates it on its first start)\n`);
    expect(existsSync(typo)).toBe(false);
    const add = await admin(['user', 'add', 'bob', '--data', typo, '--password', 'bob-password']);
    expect(add.code).toBe(1);
    expect(existsSync(typo)).toBe(false);

    const empty = dir();
    const noDb = await admin(['user', 'list', '--data', empty]);
    expect(noDb).toMatchObject({ code: 1, stderr: `tern-server: ${empty} holds no Tern database (tern.db); is it the server's data directory?\n` });
    expect(readdirSync(empty)).toEqual([]);
  });

  it('backup writes a new 0600 file and refuses a target that exists', async () => {
    const data = await dataDirWith(['alice']);
    const target = join(dir(), 'tern-backup.db');
    const first = await admin(['backup', target, '--data', data]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`backup written to ${target}`);
    expect(mode(target)).toBe(0o600);
    const db = new Database(target, { readonly: true });
    expect(db.prepare('SELECT username FROM users').pluck().all()).toEqual(['alice']);
    db.close();

    const before = readFileSync(target);
    const again = await admin(['backup', target, '--data', data]);
    expect(again).toMatchObject({ code: 1, stderr: `tern-server: backup target ${target} already exists; choose a new file name (nothing was written)\n` });
    expect(readFileSync(target).equals(before)).toBe(true);

    const nowhere = join(dir(), 'no', 'such', 'dir', 'b.db');
    expect((await admin(['backup', nowhere, '--data', data])).stderr).toContain('does not exist (nothing was written)');
  });

  it('restore puts a backup in place, keeps what it replaces, and refuses while a server runs', async () => {
    const data = await dataDirWith(['alice']);
    const backup = join(dir(), 'alice-only.db');
    expect((await admin(['backup', backup, '--data', data])).code).toBe(0);
    expect((await admin(['user', 'add', 'bob', '--data', data, '--password', 'bob-password'])).code).toBe(0);

    // Not over an existing database without --force.
    const refused = await admin(['restore', backup, '--data', data]);
    expect(refused).toMatchObject({ code: 1, stderr: `tern-server: ${data} already has a database; add --force to replace it (it is kept beside, renamed, not deleted)\n` });

    // Not while a server holds the directory.
    const running = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt });
    const busy = await admin(['restore', backup, '--data', data, '--force']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/in use by another server \(pid \d+\)/);
    await running.close();

    const restored = await admin(['restore', backup, '--data', data, '--force']);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('(1 users)');
    const kept = /kept as (\S+)/.exec(restored.stdout)![1]!;
    expect(mode(join(data, 'tern.db'))).toBe(0o600);
    const list = await admin(['user', 'list', '--data', data]);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['alice']);
    // The replaced database, with bob, is kept whole.
    const old = new Database(kept, { readonly: true });
    expect(old.prepare('SELECT username FROM users ORDER BY id').pluck().all()).toEqual(['alice', 'bob']);
    old.close();
    expect(await canLogin(data, 'alice', 'alice-password')).toBe(ResultCode.OK);
  });

  it('restore into a new directory, and refuses files that are not Tern databases', async () => {
    const data = await dataDirWith(['carol']);
    const backup = join(dir(), 'carol.db');
    expect((await admin(['backup', backup, '--data', data])).code).toBe(0);
    const fresh = join(dir(), 'new-home');
    const restored = await admin(['restore', backup, '--data', fresh]);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('has no server.key');
    expect(mode(fresh) & 0o077).toBe(0);

    const text = join(dir(), 'notes.txt');
    writeFileSync(text, 'not a database at all, just some words that fill more than a header would');
    expect((await admin(['restore', text, '--data', join(dir(), 'x')])).stderr).toBe(`tern-server: ${text} is not a SQLite database\n`);
    const other = join(dir(), 'other.db');
    new Database(other).exec('CREATE TABLE t (x)').close();
    expect((await admin(['restore', other, '--data', join(dir(), 'y')])).stderr).toBe(`tern-server: ${other} is not a Tern server database\n`);
    expect((await admin(['restore', join(dir(), 'absent.db'), '--data', join(dir(), 'z')])).code).toBe(1);
    expect(existsSync(join(dir(), 'x'))).toBe(false);
  });

  it('database files are 0600 from the first start, and older, more open ones are narrowed', async () => {
    const data = join(dir(), 'data');
    const server = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt });
    const client = await TestClient.connect(server);
    await client.register('dora'); // a write: the WAL and its index exist now
    for (const f of ['tern.db', 'tern.db-wal', 'tern.db-shm', 'server.key']) expect(mode(join(data, f)), f).toBe(0o600);
    expect(mode(data)).toBe(0o700);
    await client.close();
    await server.close();
    chmodSync(join(data, 'tern.db'), 0o644);
    const again = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt });
    expect(mode(join(data, 'tern.db'))).toBe(0o600);
    await again.close();
  });
});

describe('passwords', () => {
  it('a terminal prompt does not echo the password, asks twice, and the account works', async () => {
    const data = await dataDirWith([]);
    const secret = 'typed-at-a-terminal-42';
    const run = await runOnTerminal(serverCommand(['user', 'add', 'erin', '--data', data]), [
      { waitFor: 'Password for erin: ', type: `${secret}\r` },
      { waitFor: 'Repeat the password: ', type: `${secret}\r` },
    ], env);
    expect(run.code).toBe(0);
    expect(run.screen).toContain('added user erin');
    expect(run.screen).not.toContain(secret);
    expect(run.screen).not.toContain('typed-at');
    expect(await canLogin(data, 'erin', secret)).toBe(ResultCode.OK);
  });

  it('the same pty shows typed text when a program does not turn echo off (the check above can fail)', async () => {
    const run = await runOnTerminal([process.execPath, '-e', "process.stdout.write('Name: '); process.stdin.once('data', () => process.exit(0));"], [{ waitFor: 'Name: ', type: 'visible-words\r' }]);
    expect(run.screen).toContain('visible-words');
  });

  it('backspace edits, two different entries change nothing, Ctrl+C aborts', async () => {
    const data = await dataDirWith(['fay']);
    const edited = await runOnTerminal(serverCommand(['user', 'passwd', 'fay', '--data', data]), [
      { waitFor: 'Password for fay: ', type: 'new-passwordX\u007f\r' },
      { waitFor: 'Repeat the password: ', type: 'new-password\r' },
    ], env);
    expect(edited.code).toBe(0);
    expect(await canLogin(data, 'fay', 'new-password')).toBe(ResultCode.OK);

    const differ = await runOnTerminal(serverCommand(['user', 'passwd', 'fay', '--data', data]), [
      { waitFor: 'Password for fay: ', type: 'first-entry-1\r' },
      { waitFor: 'Repeat the password: ', type: 'second-entry-2\r' },
    ], env);
    expect(differ.code).toBe(1);
    expect(differ.screen).toContain('the two passwords differ; nothing was changed');
    const aborted = await runOnTerminal(serverCommand(['user', 'add', 'gus', '--data', data]), [{ waitFor: 'Password for gus: ', type: '\u0003' }], env);
    expect(aborted.code).toBe(130);
    expect(await canLogin(data, 'fay', 'new-password')).toBe(ResultCode.OK);
    expect((await admin(['user', 'list', '--data', data])).stdout).not.toContain('gus');
  });

  it('without a terminal the first line of stdin is the password; no input is an error', async () => {
    const data = await dataDirWith([]);
    const piped = await runCli(['user', 'add', 'hal', '--data', data], env, 'piped-password-1\nignored\n');
    expect(piped).toMatchObject({ code: 0, stdout: expect.stringContaining('added user hal') });
    expect(await canLogin(data, 'hal', 'piped-password-1')).toBe(ResultCode.OK);
    const none = await admin(['user', 'add', 'ida', '--data', data]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no password given');
  });
});
