/**
 * The server as a child process, so it can be killed (SIGKILL) and frozen
 * (SIGSTOP) for real.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../shared/ipc';
import type { ClientCore } from '../../electron/client/index';
import { befriend, client, PASSWORD, record, waitFor } from './helpers/clients';
import { childServer, tempDir, type ChildServer } from './helpers/server';

let root: string;
const servers: ChildServer[] = [];
const live = new Set<ClientCore>();

beforeAll(() => {
  root = tempDir('chaos');
});

afterEach(async () => {
  for (const c of live) await c.dispose();
  live.clear();
  for (const s of servers.splice(0)) await s.stop();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

async function start(dataDir: string, port = 0): Promise<ChildServer> {
  const s = await childServer(dataDir, port);
  servers.push(s);
  return s;
}

const fast = { backoffInitialMs: 200, backoffMaxMs: 1000, connectTimeoutMs: 2000 };

describe('server killed and restarted mid-send', () => {
  it('loses nothing and doubles nothing', async () => {
    const dataDir = join(root, 'server-kill');
    let server = await start(dataDir);
    const ep = server.endpoint;
    const a = await client(root, 'mallory', [ep], fast);
    const b = await client(root, 'niaj', [ep], fast);
    live.add(a).add(b);
    const sa = await a.register({ username: 'mallory', password: PASSWORD });
    const sb = await b.register({ username: 'niaj', password: PASSWORD });
    await befriend(a, b);

    const key = `u:${sb.profile.userId}` as const;
    const texts: string[] = [];
    for (let i = 0; i < 30; i++) {
      texts.push(`m${i}`);
      await a.sendMessage({ key, text: `m${i}` });
      if (i === 14) {
        server.signal('SIGKILL');
        await server.exited;
      }
    }
    await waitFor(async () => (await a.getConnectionStatus({})).state === 'offline', 'mallory sees the server gone');
    server = await start(dataDir, ep.port);
    await waitFor(
      async () => (await a.loadMessages({ key, limit: 100 })).messages.every((m) => m.status === 'sent' || m.status === 'delivered' || m.status === 'read'),
      'every message acknowledged',
      20_000,
    );
    const back = `u:${sa.profile.userId}` as const;
    const page = await waitFor(async () => {
      const p = await b.loadMessages({ key: back, limit: 100 });
      return p.messages.length >= 30 ? p : undefined;
    }, 'niaj has all 30', 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const final = await b.loadMessages({ key: back, limit: 100 });
    expect(final.messages.map((m) => m.text)).toEqual(texts);
    expect(page.messages).toHaveLength(30);
    const mine = await a.loadMessages({ key, limit: 100 });
    expect(mine.messages.map((m) => m.text)).toEqual(texts);
    expect(new Set(mine.messages.map((m) => m.serverId)).size).toBe(30);
  });
});

describe('heartbeat', () => {
  it('detects a server frozen with SIGSTOP and moves to the next endpoint', async () => {
    // Two servers over one database (B's data directory links to A's key and
    // database file), like two instances behind shared storage.
    const dirA = join(root, 'hb-a');
    const dirB = join(root, 'hb-b');
    const first = await start(dirA);
    mkdirSync(dirB, { recursive: true });
    symlinkSync(join(dirA, 'server.key'), join(dirB, 'server.key'));
    symlinkSync(join(dirA, 'tern.db'), join(dirB, 'tern.db'));
    const second = await start(dirB);
    expect(second.endpoint.publicKey).toBe(first.endpoint.publicKey);

    const c = await client(root, 'olivia', [first.endpoint, second.endpoint], {
      ...fast,
      heartbeatIntervalMs: 300,
      heartbeatTimeoutMs: 300,
      heartbeatMisses: 2,
    });
    live.add(c);
    const states = record(c, 'connectionState');
    await c.register({ username: 'olivia', password: PASSWORD });
    const nameA = `${first.endpoint.host}:${first.endpoint.port}`;
    const nameB = `${second.endpoint.host}:${second.endpoint.port}`;
    await waitFor(async () => (await c.getConnectionStatus({})).state === 'online', 'online at A');
    expect((await c.getConnectionStatus({})).endpoint).toBe(nameA);

    first.signal('SIGSTOP');
    try {
      await waitFor(async () => {
        const s = await c.getConnectionStatus({});
        return s.state === 'online' && s.endpoint === nameB;
      }, 'online at B', 10_000);
      const detected = states.find((s: ConnectionStatus) => s.state === 'offline' && s.lastError?.code === 'TIMEOUT');
      expect(detected?.endpoint).toBe(nameA);
      // The session continues on B: the token from A is valid there (same storage).
      const me = (await c.getSession({}))!;
      expect(me.account.username).toBe('olivia');
    } finally {
      first.signal('SIGCONT');
    }
  });
});
