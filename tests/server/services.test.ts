// Service logic against a real SQLite file with an injected clock and a recording notifier: recall window, sequence allocation, group commit isolation.
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromBinary } from '@bufbuild/protobuf';
import { ConversationType, ResultCode, SyncEventSchema } from '../../shared/protocol';
import { resolveConfig } from '../../server/config';
import { AccountService } from '../../server/services/accounts';
import type { ServiceDeps } from '../../server/services/deps';
import { readOperation } from '../../server/operations/operation';
import { FriendService } from '../../server/services/friends';
import { MessageService } from '../../server/services/messages';
import { nullNotifier, type Notifier, type PendingPush } from '../../server/services/notifier';
import { Runner } from '../../server/services/runner';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { removeDir, tempDir, testScrypt } from './helpers/server';

class FakeClock {
  constructor(public t = 1_700_000_000_000) {}
  now() {
    return this.t;
  }
}

let dir: string;
let store: SqliteStore;
let clock: FakeClock;
let pushes: PendingPush[];
let deps: ServiceDeps;

beforeEach(() => {
  dir = tempDir();
  store = SqliteStore.open(join(dir, 't.db'), { durability: 'off' });
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
  const out = await new AccountService(deps).register({ username: name, password: 'password123', nickname: '', device: { deviceId: 'd', deviceName: '' } } as never);
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
    const seqs = acks.map((x) => Number(x.userSeq));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    const bobSeqs = pushes.filter((p) => p.userId === b).map((p) => Number(fromBinary(SyncEventSchema, p.payload).seq));
    expect(pushes.filter((p) => p.userId === b).map((p) => p.seq)).toEqual(bobSeqs);
    expect(bobSeqs).toEqual(bobSeqs.map((_, i) => bobSeqs[0]! + i));
    expect(acks.map((x) => Number(x.convSeq))).toEqual(acks.map((_, i) => i + 1));
    // The sender's own event is pushed, but not to the sending session.
    expect(pushes.filter((p) => p.userId === a).every((p) => p.skipSession === 1)).toBe(true);
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
    expect(store.stats().batches).toBe(batches + 1);
    expect(pushes.some((p) => p.userId === c)).toBe(false);
    expect(await store.read(byClientId, { sender: a, id: 'bad' }, 0)).toBeUndefined();
    expect(await store.read(byClientId, { sender: a, id: 'ok2' }, 0)).toBeDefined();
  });
});
