/**
 * The server as a child process, so it can be killed (SIGKILL) and frozen
 * (SIGSTOP) for real.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientCore } from '../../electron/core/index';
import { befriend, client, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';
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
    // Settled: niaj's login sync is done and mallory has nothing left to resend; still each message once, in order.
    await waitOnline(b, 'niaj synced');
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
    // Two independent servers. (Two instances over one database would let the
    // session continue on B; the embedded SQLite store is one server per data
    // directory, so here B does not know A's device token and asks for the
    // password: the move itself is what this test is about.)
    const first = await start(join(root, 'hb-a'));
    const second = await start(join(root, 'hb-b'));
    const setup = await client(root, 'olivia-on-b', [second.endpoint], fast);
    await setup.register({ username: 'olivia', password: PASSWORD });
    await setup.dispose();

    const c = await client(root, 'olivia', [first.endpoint, second.endpoint], {
      ...fast,
      heartbeatIntervalMs: 300,
      heartbeatTimeoutMs: 300,
      heartbeatMisses: 2,
    });
    live.add(c);
    const states = record(c, 'connectionState');
    const asked = record(c, 'passwordRequired');
    await c.register({ username: 'olivia', password: PASSWORD });
    const nameA = `${first.endpoint.host}:${first.endpoint.port}`;
    const nameB = `${second.endpoint.host}:${second.endpoint.port}`;
    await waitOnline(c, 'online at A');
    expect((await c.getConnectionStatus({})).endpoint).toBe(nameA);

    first.signal('SIGSTOP');
    try {
      await waitFor(() => asked.length > 0, 'B answers', 10_000).catch((err: unknown) => {
        throw new Error(`${String(err)}; states: ${JSON.stringify(states.map((s) => [s.state, s.endpoint, s.lastError?.code]))}`);
      });
      const afterStop = states.slice(states.findIndex((s) => s.state === 'offline' && s.lastError?.code === 'TIMEOUT'));
      // Dead heartbeat at A, then straight to B.
      expect(afterStop[0]).toMatchObject({ state: 'offline', endpoint: nameA, lastError: { code: 'TIMEOUT' } });
      expect(afterStop.slice(1, 3)).toMatchObject([
        { state: 'connecting', endpoint: nameB },
        { state: 'authenticating', endpoint: nameB },
      ]);
      expect(asked).toEqual([{ username: 'olivia' }]);
      // The user's way out: the password, on B.
      await c.login({ username: 'olivia', password: PASSWORD, server: second.endpoint });
      await waitOnline(c, 'online at B');
      expect((await c.getConnectionStatus({})).endpoint).toBe(nameB);
    } finally {
      first.signal('SIGCONT');
    }
  });
});
