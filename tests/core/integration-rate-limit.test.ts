/**
 * The client's outbox against a real server's per-account send rate: a burst
 * larger than the server allows is refused in part with RATE_LIMITED, and the
 * outbox waits as told and delivers every message, none marked failed.
 */
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import type { ClientCore } from '../../electron/core/index';
import { befriend, client, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';
import { inProcessServer, tempDir } from './helpers/server';

const root = tempDir('rate-limit');
const cores: ClientCore[] = [];
let stop: () => Promise<void> = async () => {};

afterAll(async () => {
  for (const c of cores) await c.dispose();
  await stop();
  rmSync(root, { recursive: true, force: true });
});

it('a burst beyond the server limit is delivered in full, later, with nothing failed', async () => {
  // 2 at once, then one every 200 ms: most of a burst of 12 is refused at first, some more than 3 times.
  const s = await inProcessServer(undefined, { sendBurst: 2, sendPerMinute: 300 });
  stop = async () => {
    await s.server.close();
    rmSync(s.dataDir, { recursive: true, force: true });
  };
  const alice = await client(root, 'alice', [s.endpoint]);
  const bob = await client(root, 'bob', [s.endpoint]);
  cores.push(alice, bob);
  await alice.register({ username: 'alice', password: PASSWORD });
  const bobSession = await bob.register({ username: 'bob', password: PASSWORD });
  await waitOnline(alice);
  await befriend(alice, bob);
  const changes = record(alice, 'messagesChanged');

  const key = `u:${bobSession.profile.userId}` as const;
  const texts = Array.from({ length: 12 }, (_, i) => `burst ${i + 1}`);
  for (const text of texts) await alice.sendMessage({ key, text });
  const mine = async () => (await alice.loadMessages({ key })).messages.filter((m) => texts.includes(m.text));
  await waitFor(async () => (await mine()).every((m) => m.status !== 'pending'), 'all 12 acknowledged');
  expect((await mine()).map((m) => m.status)).not.toContain('failed');
  expect(await s.server.metrics.value('tern_errors_total', { code: 'RATE_LIMITED' })).toBeGreaterThan(0); // the limit was really hit
  expect(changes.flatMap((c) => c.messages).some((m) => m.status === 'failed')).toBe(false);
  const aliceKey = `u:${(await alice.getSession({}))!.profile.userId}` as const;
  const received = async () => (await bob.loadMessages({ key: aliceKey })).messages.map((m) => m.text);
  await waitFor(async () => (await received()).length >= 12, 'bob has all 12');
  expect((await received()).sort()).toEqual([...texts].sort());
});
