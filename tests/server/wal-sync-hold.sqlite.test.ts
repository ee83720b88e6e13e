// SQLite only (PostgreSQL syncs inside its COMMIT, out of this process).
// Acks and pushes wait for the WAL sync, shown by holding the sync: the test replaces fdatasync (the call
// storage/durability.ts makes) with one it releases by hand. Nothing a client hears of may be ahead of the disk,
// and the per-connection cap on requests in flight counts a send until its ack, so it holds exactly.
import type * as NodeFs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command, ResultCode } from '../../shared/protocol';
import { RequestError } from './helpers/client';
import { startTestServer, removeDir, type TestServer } from './helpers/server';
import { befriend, direct } from './helpers/social';
import { waitFor } from '../support/wait';

const hold = vi.hoisted(() => ({
  on: false,
  waiting: [] as Array<() => void>,
  /** Set: held syncs fail with this error when released. */
  error: undefined as NodeJS.ErrnoException | undefined,
  release(): void {
    const queued = this.waiting.splice(0);
    for (const run of queued) run();
  },
}));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  const fdatasync = (fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    if (!hold.on) return fs.fdatasync(fd, callback);
    hold.waiting.push(() => (hold.error ? callback(hold.error) : fs.fdatasync(fd, callback)));
  };
  return { ...fs, fdatasync, default: { ...fs, fdatasync } };
});

/**
 * SQLite on the event loop: the mocked fdatasync exists in this thread only. On its worker thread (the default)
 * the same SqliteStore waits for the same sync, and the worker answers only what the store has resolved
 * (sqlite-worker-store.sqlite.test.ts).
 */
const heldSqlite = { durability: 'group-fsync', sqliteThread: 'main' } as const;

let server: TestServer | undefined;
afterEach(async () => {
  hold.on = false;
  hold.error = undefined;
  hold.release();
  await server?.close();
  if (server) removeDir(server.dataDir);
  server = undefined;
});

/** Lets the server run every callback and I/O completion that is ready, a few times over. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('with the WAL sync held', () => {
  it('neither the ack nor the push leaves before the sync; both follow it', async () => {
    server = await startTestServer({ ...heldSqlite });
    const alice = await server.user('hold_alice');
    const bob = await server.user('hold_bob');
    await befriend(alice, bob);
    const pushesBefore = bob.events().length;

    hold.on = true;
    let acked = false;
    const ack = alice.call(Command.MESSAGE_SEND, { to: direct(bob), clientMsgId: 'held-1', text: 'wait for the disk' }).then((a) => ((acked = true), a));
    await waitFor(() => hold.waiting.length > 0, 'the commit to ask for a sync');
    await settle();
    expect(acked).toBe(false);
    expect(bob.events().length).toBe(pushesBefore);

    hold.release();
    expect((await ack).duplicate).toBe(false);
    const pushed = await bob.waitEvent('message', (m) => m.text === 'wait for the disk');
    expect(pushed.clientMsgId).toBe('held-1');
  });

  it('caps requests in flight per connection at exactly maxInFlightPerConnection, a send counting until its ack', async () => {
    const cap = 64;
    server = await startTestServer({ ...heldSqlite, maxInFlightPerConnection: cap, sendBurst: 100_000 });
    const alice = await server.user('cap_alice');
    const bob = await server.user('cap_bob');
    await befriend(alice, bob);

    hold.on = true;
    const burst = 5 * cap;
    const results = Array.from({ length: burst }, (_, i) =>
      alice.call(Command.MESSAGE_SEND, { to: direct(bob), clientMsgId: `cap-${i}`, text: `m${i}` }).then(
        () => 'ok' as const,
        (e: unknown) => (e instanceof RequestError ? e.code : 'closed'),
      ),
    );
    const limited = results.slice(cap);
    // Everything beyond the cap is refused while the first `cap` wait for the disk.
    expect(new Set(await Promise.all(limited))).toEqual(new Set([ResultCode.RATE_LIMITED]));
    hold.release();
    hold.on = false;
    expect(await Promise.all(results.slice(0, cap))).toEqual(Array(cap).fill('ok'));
  });

  it('a failing sync acknowledges nothing and answers INTERNAL, now and until a restart; the resend after it is stored once', async () => {
    server = await startTestServer({ ...heldSqlite });
    const alice = await server.user('fail_alice');
    const bob = await server.user('fail_bob');
    await befriend(alice, bob);
    const pushesBefore = bob.events().length;

    hold.on = true;
    hold.error = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
    const send = (id: string) =>
      alice.call(Command.MESSAGE_SEND, { to: direct(bob), clientMsgId: id, text: 'not on disk' }).then(
        () => 'acked',
        (e: unknown) => (e instanceof RequestError ? ResultCode[e.code] : String(e)),
      );
    const answer = send('doomed');
    await waitFor(() => hold.waiting.length > 0, 'the commit to ask for a sync');
    hold.release();
    expect(await answer).toBe('INTERNAL');
    // After a failed fsync the disk's state is unknown: nothing is acknowledged any more, even once syncs work again.
    hold.on = false;
    hold.error = undefined;
    expect(await send('after')).toBe('INTERNAL');
    await settle();
    expect(bob.events().length).toBe(pushesBefore);

    // A restart recovers what is really on disk; the client's resend (same id) is then stored exactly once.
    const dataDir = server.dataDir;
    await server.close();
    server = await startTestServer({ ...heldSqlite, dataDir });
    const again = await server.client();
    await again.loginPassword('fail_alice');
    const reader = await server.client();
    await reader.loginPassword('fail_bob');
    const ack = await again.call(Command.MESSAGE_SEND, { to: direct(bob.userId), clientMsgId: 'doomed', text: 'not on disk' });
    expect(ack.msgId).toBeGreaterThan(0n);
    const sync = await reader.call(Command.SYNC, { limit: 100 });
    expect(sync.events.filter((e) => e.event.case === 'message' && e.event.value.clientMsgId === 'doomed')).toHaveLength(1);
    await again.close();
    await reader.close();
  });
});
