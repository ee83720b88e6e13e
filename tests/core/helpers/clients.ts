/** Client cores for integration tests, each with its own data directory. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { MessengerCore, MessengerEvents, ServerEndpoint } from '../../../shared/ipc';
import { createCore, type ClientCore } from '../../../electron/core/index';
import type { Timings } from '../../../electron/core/timings';
import { waitFor } from '../../support/wait';
import { inProcessServer, tempDir } from './server';

export { waitFor };

export const PASSWORD = 'correct horse battery';

export async function client(root: string, name: string, servers: ServerEndpoint[], timings: Partial<Timings> = {}): Promise<ClientCore> {
  return createCore({ dataDir: join(root, name), defaultServers: servers, timings, deviceName: name });
}

/** Waits until the core reports the connection online. */
export async function waitOnline(core: Pick<MessengerCore, 'getConnectionStatus'>, what = 'online'): Promise<void> {
  await waitFor(async () => (await core.getConnectionStatus({})).state === 'online', what);
}

export function record<E extends keyof MessengerEvents>(core: ClientCore, event: E): MessengerEvents[E][] {
  const seen: MessengerEvents[E][] = [];
  core.on(event, (p) => seen.push(p));
  return seen;
}

/** Makes the signed-in users of `a` and `b` friends (a asks, b accepts) and waits until both caches know it. */
export async function befriend(a: ClientCore, b: ClientCore): Promise<void> {
  const sa = (await a.getSession({}))!;
  const sb = (await b.getSession({}))!;
  await a.sendFriendRequest({ userId: sb.profile.userId, message: 'hi' });
  const request = await waitFor(async () => (await b.listFriendRequests({})).find((r) => r.direction === 'incoming' && r.user.userId === sa.profile.userId), 'friend request');
  await b.acceptFriendRequest({ requestId: request.id });
  await waitFor(async () => (await a.listFriends({})).some((f) => f.userId === sb.profile.userId && f.state === 'friend'), 'friendship at a');
  await waitFor(async () => (await b.listFriends({})).some((f) => f.userId === sa.profile.userId && f.state === 'friend'), 'friendship at b');
}

/**
 * One in-process server for a test file and cores made against it, each with
 * its own data directory; everything is disposed and removed after the file.
 */
export function coresAgainstServer(prefix: string): { make: (name: string) => Promise<ClientCore>; cores: ClientCore[] } {
  let root: string;
  let endpoint: ServerEndpoint;
  let close: () => Promise<void>;
  const cores: ClientCore[] = [];
  beforeAll(async () => {
    root = tempDir(prefix);
    const s = await inProcessServer();
    endpoint = s.endpoint;
    close = async () => {
      await s.server.close();
      rmSync(s.dataDir, { recursive: true, force: true });
    };
  });
  afterAll(async () => {
    for (const c of cores) await c.dispose();
    await close();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    cores,
    make: async (name) => {
      const c = await client(root, name, [endpoint]);
      cores.push(c);
      return c;
    },
  };
}
