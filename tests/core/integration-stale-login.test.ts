/**
 * A login the client gave up on must not sign the client out when the server
 * finally gets to it. The chaos soak found a core that never came back online:
 * a link went quiet during its login, the core gave up on it and logged in on
 * a new connection, and the abandoned login (still held by the network, the
 * connection still open at the server) then ended the new session as "signed
 * in elsewhere", by its own device. Here a relay holds that login and delivers
 * it after the core is online again on its new connection; the core must stay
 * online, with no kick.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ClientCore } from '../../electron/core/index';
import type { ServerEndpoint } from '../../shared/ipc';
import type { RunningServer } from '../../server/server';
import { client, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';
import { inProcessServer, tempDir } from './helpers/server';

/**
 * A TCP relay in front of the server. `stallNext()`: on the next connection,
 * after the client's first chunk (the Noise handshake) the client's bytes are
 * held and its close is not passed on, so the server keeps the connection open
 * with the login unread; `release()` then delivers what was held.
 */
class StallingRelay {
  private stallArmed = false;
  private held: Buffer[] = [];
  private stalledUpstream: Socket | undefined;
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    private readonly target: ServerEndpoint,
  ) {
    server.on('connection', (c) => this.accept(c));
  }

  static async start(target: ServerEndpoint): Promise<StallingRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new StallingRelay(server, target);
  }

  get endpoint(): ServerEndpoint {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('relay not listening');
    return { host: '127.0.0.1', port: a.port, publicKey: this.target.publicKey };
  }

  stallNext(): void {
    this.stallArmed = true;
  }

  get holding(): number {
    return this.held.reduce((n, b) => n + b.length, 0);
  }

  release(): void {
    for (const chunk of this.held.splice(0)) this.stalledUpstream?.write(chunk);
  }

  private accept(c: Socket): void {
    const up = connect({ host: this.target.host, port: this.target.port });
    this.sockets.add(c).add(up);
    const stalled = this.stallArmed;
    this.stallArmed = false;
    if (stalled) this.stalledUpstream = up;
    let chunks = 0;
    c.on('data', (d: Buffer) => {
      if (stalled && chunks++ > 0) this.held.push(d);
      else up.write(d);
    });
    up.on('data', (d: Buffer) => c.write(d));
    up.on('close', () => c.destroy());
    up.on('error', () => c.destroy());
    c.on('error', () => undefined);
    // A stalled connection's client going away is not passed on: the server still holds it open, login unread.
    c.on('close', () => {
      if (!stalled) up.destroy();
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let root: string;
let server: { server: RunningServer; endpoint: ServerEndpoint; dataDir: string };
let relay: StallingRelay;
const cores: ClientCore[] = [];

beforeAll(async () => {
  root = tempDir('stale-login');
  server = await inProcessServer();
  relay = await StallingRelay.start(server.endpoint);
});

afterAll(async () => {
  for (const c of cores) await c.dispose();
  await relay.stop();
  await server.server.close();
  rmSync(server.dataDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

it('a login the core gave up on, delivered late, does not sign the core out', async () => {
  const timings = { heartbeatIntervalMs: 300, heartbeatTimeoutMs: 300, heartbeatMisses: 2, requestTimeoutMs: 1500, connectTimeoutMs: 1500, backoffInitialMs: 100, backoffMaxMs: 300 };
  const core = await client(root, 'stale', [relay.endpoint], timings);
  cores.push(core);
  await core.register({ username: 'stale', password: PASSWORD });
  await waitOnline(core);
  const kicked = record(core, 'kicked');
  const ended = record(core, 'sessionEnded');

  // The link drops; the next connection's login is held in the network.
  relay.stallNext();
  await core.dispose();
  const again = await client(root, 'stale', [relay.endpoint], timings);
  cores.push(again);
  const kickedAgain = record(again, 'kicked');
  const endedAgain = record(again, 'sessionEnded');
  const states = record(again, 'connectionState');
  await again.login({ username: 'stale' });
  // The core gave up on the stalled connection and is online on a new one.
  await waitOnline(again, 'online on a new connection');
  expect(relay.holding).toBeGreaterThan(0);
  expect(states.some((s) => s.state === 'offline')).toBe(true);

  // The abandoned login reaches the server now.
  relay.release();
  const ping = async () => (await again.getConnectionStatus({})).state === 'online' && (await again.listFriends({})) !== undefined;
  // Give the server time to read and answer it, then the core must still be signed in and online.
  await new Promise((r) => setTimeout(r, 1500));
  expect(kickedAgain).toEqual([]);
  expect(endedAgain).toEqual([]);
  await waitFor(ping, 'still online after the stale login arrived', 5000);
  expect(await again.getSession({})).not.toBeNull();
  expect(kicked).toEqual([]);
  expect(ended).toEqual([]);
});
