/**
 * Sessions and reliability against a real in-process server: offline catch-up
 * exactly once and in order, outbox across a client restart, token login,
 * auth errors, kicked.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEndpoint } from '../../shared/ipc';
import type { RunningServer } from '../../server/index';
import type { ClientCore } from '../../electron/core/index';
import { befriend, client, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';
import { inProcessServer, tempDir } from './helpers/server';

let root: string;
let server: RunningServer;
let serverDir: string;
let endpoint: ServerEndpoint;
const live = new Set<ClientCore>();

beforeAll(async () => {
  root = tempDir('session');
  const s = await inProcessServer();
  server = s.server;
  serverDir = s.dataDir;
  endpoint = s.endpoint;
});

afterEach(async () => {
  for (const c of live) await c.dispose();
  live.clear();
});

afterAll(async () => {
  await server.close();
  rmSync(serverDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

async function make(name: string, servers = [endpoint]): Promise<ClientCore> {
  const c = await client(root, name, servers, { backoffInitialMs: 100, backoffMaxMs: 500 });
  live.add(c);
  return c;
}

async function drop(c: ClientCore): Promise<void> {
  live.delete(c);
  await c.dispose();
}

describe('offline catch-up', () => {
  it('a client that was offline gets every message exactly once and in order', async () => {
    const a = await make('carol');
    const b = await make('dave');
    const sa = await a.register({ username: 'carol', password: PASSWORD });
    const sb = await b.register({ username: 'dave', password: PASSWORD });
    await befriend(a, b);
    await drop(b);

    const key = `u:${sb.profile.userId}` as const;
    const texts = Array.from({ length: 40 }, (_, i) => `message ${i} 第${i}条`);
    for (const text of texts) await a.sendMessage({ key, text });
    await waitFor(async () => (await a.loadMessages({ key, limit: 200 })).messages.every((m) => m.status !== 'pending'), 'all acked');

    const b2 = await make('dave');
    const changed = record(b2, 'messagesChanged');
    await b2.login({ username: 'dave' });
    await waitOnline(b2);
    // A few more while b2 is online: pushed, not pulled.
    for (const text of ['after 1', 'after 2']) await a.sendMessage({ key, text });
    const back = `u:${sa.profile.userId}` as const;
    const page = await waitFor(async () => {
      const p = await b2.loadMessages({ key: back, limit: 200 });
      return p.messages.length >= 42 ? p : undefined;
    }, 'all 42 at dave');
    expect(page.messages.map((m) => m.text)).toEqual([...texts, 'after 1', 'after 2']);
    expect(new Set(page.messages.map((m) => m.serverId)).size).toBe(42);
    expect((await b2.getConversation({ key: back }))?.unread).toBe(42);
    // Events name each message; none is announced as two different messages.
    const ids = new Set(changed.flatMap((c) => c.messages).map((m) => m.id));
    expect(ids.size).toBe(42);
  });
});

describe('accounts and auth', () => {
  it('token login after a restart; accounts.json is private and holds no password', async () => {
    const c = await make('erin');
    await c.register({ username: 'erin', password: PASSWORD });
    await waitOnline(c);
    await drop(c);
    const file = join(root, 'erin', 'accounts.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(PASSWORD);

    const again = await make('erin');
    expect((await again.listAccounts({}))[0]).toMatchObject({ username: 'erin', canAutoLogin: true });
    const session = await again.login({ username: 'erin' });
    expect(session.account.username).toBe('erin');
    await waitOnline(again);
  });

  it('a wrong password is BAD_CREDENTIALS; no session, no reconnect loop', async () => {
    const c = await make('frank');
    await c.register({ username: 'frank', password: PASSWORD });
    await c.logout({});
    await expect(c.login({ username: 'frank', password: 'wrong password!' })).rejects.toMatchObject({ code: 'BAD_CREDENTIALS' });
    expect(await c.getSession({})).toBeNull();
    expect((await c.getConnectionStatus({})).state).toBe('offline');
  });

  it('a server that does not hold the pinned key is SERVER_KEY_MISMATCH', async () => {
    const c = await make('grace');
    const forged = { ...endpoint, publicKey: Buffer.alloc(32, 7).toString('base64') };
    await expect(c.register({ username: 'grace', password: PASSWORD, server: forged })).rejects.toMatchObject({ code: 'SERVER_KEY_MISMATCH' });
  });

  it('no server listening: SERVER_UNREACHABLE for a password login', async () => {
    const c = await make('heidi');
    await expect(c.register({ username: 'heidi', password: PASSWORD, server: { ...endpoint, port: 1 } })).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
  });

  it('a rejected device token asks for the password and stops', async () => {
    const c = await make('ivan');
    await c.register({ username: 'ivan', password: PASSWORD });
    await drop(c);
    const file = join(root, 'ivan', 'accounts.json');
    // A token the server no longer accepts (written in clear, as an older version kept it; sealed on load).
    const data = JSON.parse(readFileSync(file, 'utf8')) as { accounts: { deviceToken?: string; deviceTokenSealed?: string }[] };
    expect(data.accounts[0]!.deviceTokenSealed).toBeDefined();
    delete data.accounts[0]!.deviceTokenSealed;
    data.accounts[0]!.deviceToken = 'not-a-valid-token';
    writeFileSync(file, JSON.stringify(data));

    const again = await make('ivan');
    const asked = record(again, 'passwordRequired');
    await expect(again.login({ username: 'ivan' })).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
    expect(asked).toEqual([{ username: 'ivan' }]);
    expect((await again.listAccounts({}))[0]?.canAutoLogin).toBe(false);
    // The password works and stores a fresh token.
    await again.login({ username: 'ivan', password: PASSWORD });
    expect((await again.listAccounts({}))[0]?.canAutoLogin).toBe(true);
  });

  it('kicked by another login: an event, the session ends, no reconnect', async () => {
    const first = await make('judy-1');
    await first.register({ username: 'judy', password: PASSWORD });
    await waitOnline(first);
    const kicked = record(first, 'kicked');
    const ended = record(first, 'sessionEnded');
    const states = record(first, 'connectionState');
    const second = await make('judy-2');
    await second.login({ username: 'judy', password: PASSWORD, kickOtherSessions: true });
    await waitFor(() => kicked.length > 0, 'kicked');
    expect(kicked[0]?.reason).toBe('other-login');
    expect(ended).toEqual([{ reason: 'kicked' }]);
    expect(await first.getSession({})).toBeNull();
    await waitOnline(second);
    // No reconnect: a core that tried would go through 'connecting' within one back-off (100-500 ms here). Proving
    // that something does not happen takes a wait; this one spans several back-offs.
    const seenAtKick = states.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(states.slice(seenAtKick).map((s) => s.state).filter((state) => state !== 'offline')).toEqual([]);
    expect(states.at(-1)?.state).toBe('offline');
  });
});

describe('outbox across a client restart', () => {
  it('a message written while the server is down is sent after restart, exactly once', async () => {
    const a = await make('kim');
    const b = await make('lee');
    const sa = await a.register({ username: 'kim', password: PASSWORD });
    const sb = await b.register({ username: 'lee', password: PASSWORD });
    await befriend(a, b);
    // The server goes away; kim writes, then quits.
    const port = server.port;
    await server.close();
    const key = `u:${sb.profile.userId}` as const;
    const pending = await a.sendMessage({ key, text: 'written while the server was down' });
    expect((await a.loadMessages({ key })).messages.find((m) => m.id === pending.id)?.status).toBe('pending');
    await drop(a);

    const restarted = await inProcessServer(serverDir).catch(() => undefined);
    expect(restarted).toBeDefined();
    server = restarted!.server;
    // Same data directory, so same key; the port may differ: point the clients at it.
    endpoint = restarted!.endpoint;
    void port;
    const a2 = await make('kim', [endpoint]);
    await a2.updateSettings({ servers: [endpoint] });
    await a2.login({ username: 'kim', server: endpoint });
    await waitFor(async () => (await a2.loadMessages({ key })).messages.find((m) => m.id === pending.id)?.status === 'sent', 'resent after restart');

    await drop(b);
    const b2 = await make('lee', [endpoint]);
    await b2.login({ username: 'lee', server: endpoint });
    const back = `u:${sa.profile.userId}` as const;
    const got = await waitFor(async () => {
      const found = (await b2.loadMessages({ key: back })).messages.filter((m) => m.text === 'written while the server was down');
      return found.length > 0 ? found : undefined;
    }, 'lee got it');
    expect(got).toHaveLength(1);
    // Exactly once, also after everything has settled: lee's login sync is done and kim has nothing left to resend.
    await waitOnline(b2, 'lee synced');
    await waitFor(async () => (await a2.loadMessages({ key })).messages.every((m) => m.status !== 'pending'), 'kim has nothing pending');
    expect((await b2.loadMessages({ key: back })).messages.filter((m) => m.text === 'written while the server was down')).toHaveLength(1);
  });
});
