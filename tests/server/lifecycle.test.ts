// The server as a process: start, three lines on stdout, SIGTERM exits 0 and tells clients, restart keeps everything,
// one server per data directory, stale locks, the admin CLI.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command, Kicked_Reason, ResultCode, SyncDomain } from '../../shared/protocol';
import { DataDirLockedError, startServer } from '../../server';
import { TestClient } from './helpers/client';
import { runCli, spawnServer } from './helpers/process';
import { removeDir, tempDir, testScrypt } from './helpers/server';
import { freshStore, storeEnv } from './helpers/store';
import { befriend, direct, sendText } from './helpers/social';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach(removeDir));

const fastEnv = { TERN_SERVER_LOG_LEVEL: 'warn' };
const cheapScrypt = JSON.stringify({ scrypt: testScrypt });

describe('server process', () => {
  it('prints its address and key, exits 0 on SIGTERM telling clients, and restarts with everything kept', async () => {
    const data = dir();
    const config = join(data, '..', `${data.split('/').pop()}.json`);
    writeFileSync(config, cheapScrypt);
    const env = { ...fastEnv, ...storeEnv(await freshStore('lifecycle')) };
    const first = await spawnServer(['--port', '0', '--data', data, '--config', config], env);
    expect(first.host).toBe('127.0.0.1');
    // The blob service is where the attachments line says: it answers there, asking for a transfer token.
    expect(first.blobUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.blobUrl).not.toBe(`http://127.0.0.1:${first.port}`);
    const blob = await fetch(`${first.blobUrl}/v1/blobs/${'0'.repeat(64)}`);
    expect([blob.status, await blob.json()]).toMatchObject([401, { error: 'token-missing' }]);
    expect(statSync(join(data, 'server.key')).mode & 0o777).toBe(0o600);

    const alice = await TestClient.connect(first);
    await alice.register('alice');
    const bob = await TestClient.connect(first);
    await bob.register('bob');
    await befriend(alice, bob);
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await sendText(alice, direct(bob), `before restart ${i}`));
    const aliceToken = alice.login!.deviceToken;

    first.child.kill('SIGTERM');
    const started = Date.now();
    expect(await first.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    await alice.closedPromise;
    expect(alice.errorFrame().code).toBe(ResultCode.SHUTTING_DOWN);
    expect(existsSync(join(data, 'server.lock'))).toBe(false);

    const second = await spawnServer(['--port', '0', '--data', data, '--config', config], { ...env, TERN_SERVER_LOG_LEVEL: 'info' });
    expect(Buffer.from(second.publicKey)).toEqual(Buffer.from(first.publicKey));
    const again = await TestClient.connect(second);
    // The device token survives the restart.
    const resumed = await again.call(Command.LOGIN, { username: 'alice', credential: { case: 'deviceToken', value: aliceToken }, device: { deviceId: alice.deviceId } });
    expect(Number(resumed.userId)).toBe(alice.userId);
    const bob2 = await TestClient.connect(second);
    await bob2.loginPassword('bob');
    const page = await bob2.call(Command.SYNC, { cursor: 0n, domains: [SyncDomain.MESSAGES], limit: 100 });
    expect(page.events.map((e) => (e.event.case === 'message' ? e.event.value.text : ''))).toEqual(acks.map((_, i) => `before restart ${i}`));
    const more = await sendText(bob2, direct(alice.userId), 'after restart');
    expect(more.convSeq).toBe(6n); // the conversation sequence continues
    await Promise.all([again.close(), bob2.close()]);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    // stderr carries only JSON lines, from start to stop.
    const lines = second.stderr().split('\n').filter((l) => l !== '');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(expect.arrayContaining(['starting', 'listening', 'stopping', 'stopped']));
  });

  it('refuses a second server on the same data directory, and takes over a stale lock', async () => {
    const data = dir();
    const first = await spawnServer(['--port', '0', '--data', data], fastEnv);
    const refused = await runCli(['--port', '0', '--data', data], fastEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/in use by another server \(pid \d+\)/);
    await expect(startServer({ port: 0, dataDir: data, logLevel: 'silent' })).rejects.toBeInstanceOf(DataDirLockedError);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // A lock left by a dead process (pid far above pid_max) is taken over.
    writeFileSync(join(data, 'server.lock'), '999999999 deadbeef\n');
    const server = await startServer({ port: 0, dataDir: data, logLevel: 'silent' });
    expect(readFileSync(join(data, 'server.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    // In the same process a second server on that directory is refused too.
    await expect(startServer({ port: 0, dataDir: data, logLevel: 'silent' })).rejects.toBeInstanceOf(DataDirLockedError);
    await server.close();
  });

  it('admin CLI: add, list, disable (login refused), enable, --help', async () => {
    const data = dir();
    const store = await freshStore('admin');
    await (await startServer({ port: 0, dataDir: data, logLevel: 'silent', store })).close(); // the first start creates the database
    const env = { ...fastEnv, ...storeEnv(store), TERN_PASSWORD: 'operator-set-pw' };
    const add = await runCli(['user', 'add', 'carol', '--data', data, '--nickname', 'Carol'], env);
    expect(add.stdout).toMatch(/added user carol \(id \d+\)/);
    expect((await runCli(['user', 'add', 'carol', '--data', data], env)).code).toBe(1);
    const list = await runCli(['user', 'list', '--data', data], env);
    expect(list.stdout).toMatch(/carol\tCarol\tactive/);
    expect((await runCli(['user', 'disable', 'carol', '--data', data], env)).stdout).toMatch(/carol disabled/);

    const server = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt, store });
    const c = await TestClient.connect(server);
    expect(await c.fails(Command.LOGIN, { username: 'carol', credential: { case: 'password', value: 'operator-set-pw' }, device: { deviceId: 'd' } })).toBe(ResultCode.ACCOUNT_DISABLED);
    // The CLI works while the server runs (WAL); the enable applies at the next login.
    expect((await runCli(['user', 'enable', 'carol', '--data', data], env)).stdout).toMatch(/carol enabled/);
    const login = await c.call(Command.LOGIN, { username: 'carol', credential: { case: 'password', value: 'operator-set-pw' }, device: { deviceId: 'd' } });
    expect(login.profile!.nickname).toBe('Carol');
    await c.close();
    await server.close();

    // Disabled while logged in: the server's sweep ends the open session with KICKED.
    const running = await startServer({ port: 0, dataDir: data, logLevel: 'silent', scrypt: testScrypt, idleSweepIntervalMs: 100, store });
    const online = await TestClient.connect(running);
    await online.call(Command.LOGIN, { username: 'carol', credential: { case: 'password', value: 'operator-set-pw' }, device: { deviceId: 'd' } });
    expect((await runCli(['user', 'disable', 'carol', '--data', data], env)).stdout).toMatch(/carol disabled/);
    await online.closedPromise;
    const kicked = online.pushes.find((p) => p.command === Command.KICKED);
    expect(kicked && online.decodePush(Command.KICKED, kicked).reason).toBe(Kicked_Reason.ACCOUNT_DISABLED);
    await running.close();

    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--metrics-port');
    expect(help.stdout).toContain('TERN_SERVER_PORT');
    const bad = await runCli(['--bogus', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option --bogus');
  }, 120_000); // a dozen CLI processes, each loading the server from source
});
