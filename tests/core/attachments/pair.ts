/** Two friends (alice, bob) on a real in-process server with its blob service, for the attachment tests. */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationKey, MessageView } from '../../../shared/ipc';
import type { ClientCore } from '../../../electron/core/index';
import type { Timings } from '../../../electron/core/timings';
import type { ServerConfig } from '../../../server/index';
import { befriend, client, PASSWORD, waitFor, waitOnline } from '../helpers/clients';
import { inProcessServer, tempDir } from '../helpers/server';

export interface Pair {
  root: string;
  serverData: string;
  alice: ClientCore;
  bob: ClientCore;
  aliceId: number;
  bobId: number;
  toBob: ConversationKey;
  toAlice: ConversationKey;
  close(): Promise<void>;
}

export async function friendsOverServer(prefix: string, server: Partial<ServerConfig>, timings: Partial<Timings> = {}): Promise<Pair> {
  const root = tempDir(prefix);
  const s = await inProcessServer(undefined, server);
  const alice = await client(root, 'alice', [s.endpoint], timings);
  const bob = await client(root, 'bob', [s.endpoint], timings);
  const a = await alice.register({ username: 'alice', password: PASSWORD });
  const b = await bob.register({ username: 'bob', password: PASSWORD });
  await waitOnline(alice);
  await waitOnline(bob);
  await befriend(alice, bob);
  return {
    root,
    serverData: s.dataDir,
    alice,
    bob,
    aliceId: a.profile.userId,
    bobId: b.profile.userId,
    toBob: `u:${b.profile.userId}`,
    toAlice: `u:${a.profile.userId}`,
    close: async () => {
      await alice.dispose();
      await bob.dispose();
      await s.server.close();
      rmSync(s.dataDir, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The message once the server acknowledged it (it has a server id). */
export function delivered(core: ClientCore, key: ConversationKey, id: string, timeoutMs = 60_000): Promise<MessageView> {
  return waitFor(async () => (await core.loadMessages({ key })).messages.find((m) => m.id === id && m.serverId !== undefined), `message ${id} acknowledged`, timeoutMs);
}

/** The message once it is in the core's cache. */
export function received(core: ClientCore, key: ConversationKey, id: string, timeoutMs = 60_000): Promise<MessageView> {
  return waitFor(async () => (await core.loadMessages({ key })).messages.find((m) => m.id === id), `message ${id} received`, timeoutMs);
}

/** Digests of the blobs the pair's server stores. */
export function serverBlobs(pair: Pair): string[] {
  const dir = join(pair.serverData, 'blobs');
  return existsSync(dir) ? readdirSync(dir).flatMap((d) => readdirSync(join(dir, d))) : [];
}
