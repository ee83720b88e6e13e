// Service logic against a real store (SQLite file or PostgreSQL database) with an injected clock and a recording notifier:
// recall window, sequence allocation, group commit isolation, concurrent sends.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { ConversationType, ResultCode, SyncEventSchema } from '../../shared/protocol';
import { resolveConfig } from '../../server/config';
import { AccountService } from '../../server/services/accounts';
import type { ServiceDeps } from '../../server/services/deps';
import { REPUSH_WINDOW_MS, sendMessage } from '../../server/operations/messages';
import { readOperation } from '../../server/operations/operation';
import { FriendService } from '../../server/services/friends';
import { MessageService } from '../../server/services/messages';
import { nullNotifier, type Notifier, type PendingPush } from '../../server/services/notifier';
import { Runner } from '../../server/services/runner';
import type { Store } from '../../server/storage/store';
import { openTestStore, testStore } from './helpers/store';
import { removeDir, tempDir, testScrypt } from './helpers/server';

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now() {
    return this.t;
  }
}

let dir: string;
let store: Store;
let clock: FakeClock;
let pushes: PendingPush[];
let deps: ServiceDeps;

beforeEach(async () => {
  dir = tempDir();
  store = await openTestStore(dir);
  clock = new FakeClock();
  pushes = [];
  const notifier: Notifier = { ...nullNotifier, pushEvents: (items) => pushes.push(...items) };
  deps = { run: new Runner(store, notifier, clock), notifier, clock, config: resolveConfig({ scrypt: testScrypt, recallWindowMs: 60_000 }), logger: pino({ level: 'silent' }) };
});
afterEach(async () => {
  await store.close();
  removeDir(dir);
});

async function account(name: string): Promise<number> {
  const out = await new AccountService(deps).register({ username: name, password: 'password123', nickname: '', device: { deviceId: 'd', deviceName: '', platform: '' } } as never);
  return out.userId;
}

async function friends(a: number, b: number): Promise<void> {
  const svc = new FriendService(deps);
  const req = await svc.request({ userId: a, sessionId: 1 }, { target: { case: 'userId', value: BigInt(b) }, message: '' } as never);
  await svc.accept({ userId: b, sessionId: 2 }, { requestId: req.requestId } as never);
}

function messaging() {
  return new MessageService(deps);
}

const byClientId = readOperation('test.byClientId', ({ tx }, a: { sender: number; id: string }) => tx.messages.bySenderClientId(a.sender, a.id));

function send(svc: MessageService, from: number, to: number, clientMsgId: string) {
  return svc.send({ userId: from, sessionId: 1 }, { to: { type: ConversationType.DIRECT, id: BigInt(to) }, clientMsgId, text: 'hello', mentions: [], replyToMsgId: 0n } as never);
}

describe('messages', () => {
  it('recall is allowed inside the window and refused after it (injected clock)', async () => {
    const a = await account('alice');
    const b = await account('bob');
    await friends(a, b);
    const svc = messaging();
    const first = await send(svc, a, b, 'c1');
    clock.t += 59_000;
    await svc.recall({ userId: a, sessionId: 1 }, { msgId: first.msgId } as never);
    const second = await send(svc, a, b, 'c2');
    clock.t += 60_001;
    await expect(svc.recall({ userId: a, sessionId: 1 }, { msgId: second.msgId } as never)).rejects.toMatchObject({ code: ResultCode.RECALL_WINDOW_EXPIRED });
  });

  it('allocates per-user sequences in commit order, with no gaps, pushes only after commit', async () => {
    const a = await account('alice');
    const b = await account('bob');
    await friends(a, b);
    const svc = messaging();
    pushes.length = 0;
    const acks = await Promise.all(Array.from({ length: 50 }, (_, i) => send(svc, a, b, `m${i}`)));
    const contiguous = (xs: number[]) => [...xs].sort((x, y) => x - y).every((x, i, sorted) => i === 0 || x === sorted[i - 1]! + 1);
    const seqs = acks.map((x) => Number(x.userSeq));
    expect(contiguous(seqs)).toBe(true);
    expect(acks.map((x) => Number(x.convSeq)).sort((x, y) => x - y)).toEqual(acks.map((_, i) => i + 1));
    // One order for both sequences: the conversation's and the sender's were taken in the same commit order.
    const bySenderSeq = [...acks].sort((x, y) => Number(x.userSeq - y.userSeq));
    expect(bySenderSeq.map((x) => Number(x.convSeq))).toEqual(acks.map((_, i) => i + 1));
    const bobSeqs = pushes.filter((p) => p.userId === b).map((p) => Number(fromBinary(SyncEventSchema, p.payload).seq));
    expect(pushes.filter((p) => p.userId === b).map((p) => p.seq)).toEqual(bobSeqs);
    expect(bobSeqs).toHaveLength(50);
    expect(contiguous(bobSeqs)).toBe(true);
    if (testStore === 'sqlite') {
      // One writer, one commit: acks and pushes come out in submission order too.
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(bobSeqs).toEqual([...bobSeqs].sort((x, y) => x - y));
    }
    // The sender's own event is pushed, but not to the sending session.
    expect(pushes.filter((p) => p.userId === a).every((p) => p.skipSession === 1)).toBe(true);
  });

  it('concurrent resends of one client id store it once; crossing sends between two users all succeed', async () => {
    const a = await account('alice');
    const b = await account('bob');
    await friends(a, b);
    const svc = messaging();
    const resends = await Promise.all(Array.from({ length: 8 }, () => send(svc, a, b, 'same-id')));
    expect(new Set(resends.map((x) => x.msgId)).size).toBe(1);
    expect(resends.filter((x) => !x.duplicate)).toHaveLength(1);
    // Both directions at once: each send takes both users' sequences (PostgreSQL: row locks, one order for all).
    pushes.length = 0;
    const crossing = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? send(svc, a, b, `ab${i}`) : send(svc, b, a, `ba${i}`))));
    expect(crossing.every((x) => !x.duplicate)).toBe(true);
    for (const user of [a, b]) {
      const seqs = pushes.filter((p) => p.userId === user).map((p) => p.seq).sort((x, y) => x - y);
      expect(seqs).toHaveLength(40);
      expect(seqs.every((x, i) => i === 0 || x === seqs[i - 1]! + 1)).toBe(true);
    }
  });

  it('a resend of a message stored without its pushes (COMMIT went through, the answer was lost) pushes it again, within a window', async () => {
    const a = await account('alice');
    const b = await account('bob');
    await friends(a, b);
    const svc = messaging();
    pushes.length = 0;
    // Stored as when a database connection dies inside COMMIT: the write is on disk, the server answered UNAVAILABLE and pushed nothing.
    const args = { caller: { userId: a, sessionId: 1 }, to: { type: ConversationType.DIRECT, id: b }, clientMsgId: 'lost-answer', text: 'hello', replyTo: 0, mentions: [], attachments: null, digests: [] };
    await store.write(sendMessage, args, clock.now());
    expect(pushes).toHaveLength(0);

    const resent = await send(svc, a, b, 'lost-answer');
    expect(resent.duplicate).toBe(true);
    const toBob = pushes.filter((p) => p.userId === b).map((p) => fromBinary(SyncEventSchema, p.payload));
    expect(toBob).toHaveLength(1);
    expect(toBob[0]!.event.case).toBe('message');
    expect(BigInt((toBob[0]!.event.value as { msgId: bigint }).msgId)).toBe(BigInt(resent.msgId));
    // The sender's other devices get it too.
    expect(pushes.filter((p) => p.userId === a).map((p) => fromBinary(SyncEventSchema, p.payload).event.case)).toEqual(['message']);

    // Bob's latest event is what goes again, with its own sequence: here a later message, whose sequence shows him the gap.
    await send(svc, b, a, 'later');
    pushes.length = 0;
    await send(svc, a, b, 'lost-answer');
    const latest = pushes.filter((p) => p.userId === b);
    expect(latest).toHaveLength(1);
    expect(fromBinary(SyncEventSchema, latest[0]!.payload).event.value).toMatchObject({ clientMsgId: 'later' });

    // Long after the original, a resend only gets its ack back.
    clock.t += REPUSH_WINDOW_MS + 1;
    pushes.length = 0;
    expect((await send(svc, a, b, 'lost-answer')).duplicate).toBe(true);
    expect(pushes).toHaveLength(0);
  });

  it('sends to one conversation share commits; one that fails rolls back alone', async () => {
    const a = await account('alice');
    const b = await account('bob');
    await friends(a, b);
    const svc = messaging();
    const before = store.stats();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        i === 7
          ? svc.send({ userId: a, sessionId: 1 }, { to: { type: ConversationType.DIRECT, id: BigInt(b) }, clientMsgId: 'bad-reply', text: 'x', mentions: [], replyToMsgId: 999_999n } as never)
          : send(svc, a, b, `batch${i}`),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(19);
    expect((results[7] as PromiseRejectedResult).reason).toMatchObject({ code: ResultCode.INVALID_ARGUMENT, field: 'reply_to_msg_id' });
    const after = store.stats();
    expect(after.jobs - before.jobs).toBe(19);
    // SQLite: the turn's group commit; PostgreSQL: the conversation's lane. Either way far fewer commits than sends.
    expect(after.batches - before.batches).toBeLessThanOrEqual(5);
    const convSeqs = results.flatMap((r) => (r.status === 'fulfilled' ? [Number(r.value.convSeq)] : [])).sort((x, y) => x - y);
    expect(convSeqs).toEqual(convSeqs.map((_, i) => i + 1)); // the failed send took no sequence
  });

  it('group commit: one failing write in a batch does not undo the others, and its pushes are dropped', async () => {
    const a = await account('alice');
    const b = await account('bob');
    const c = await account('carl'); // not a friend of alice
    await friends(a, b);
    const svc = messaging();
    pushes.length = 0;
    const batches = store.stats().batches;
    const results = await Promise.allSettled([send(svc, a, b, 'ok1'), send(svc, a, c, 'bad'), send(svc, a, b, 'ok2')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: ResultCode.NOT_FRIENDS });
    // SQLite commits the turn's sends together; PostgreSQL commits each (the failed one rolled back).
    expect(store.stats().batches).toBe(batches + (testStore === 'sqlite' ? 1 : 2));
    expect(pushes.some((p) => p.userId === c)).toBe(false);
    expect(await store.read(byClientId, { sender: a, id: 'bad' }, 0)).toBeUndefined();
    expect(await store.read(byClientId, { sender: a, id: 'ok2' }, 0)).toBeDefined();
  });
});
