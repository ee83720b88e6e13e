// The embedded store's group commit (sqlite-store.ts): writes queued in one turn share a transaction (a failing
// operation rolls back alone); reads queued with them see them; answers wait for durability; sequences continue
// without gaps; the rows it caches (sqlite-cache.ts) stay exact through rollbacks and other connections' writes.
import { join } from 'node:path';
import Database, { type Statement } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordPushAcks, sendMessage } from '../../server/operations/messages';
import { readOperation, writeOperation } from '../../server/operations/operation';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { ConversationType, FriendState, ResultCode } from '../../shared/protocol';
import { removeDir, tempDir } from './helpers/server';

let dir: string;
let store: SqliteStore;

beforeEach(() => {
  dir = tempDir();
  store = SqliteStore.open(join(dir, 't.db'), { durability: 'group-fsync' });
});
afterEach(async () => {
  await store.close();
  removeDir(dir);
});

const addUser = writeOperation('test.addUser', async ({ tx, now }, a: { name: string; fail?: boolean }) => {
  const id = await tx.users.create({ username: a.name, passwordHash: 'x', nickname: a.name, now });
  if (a.fail) throw new Error(`job ${a.name} failed after writing`);
  return id;
});
const names = readOperation('test.names', async ({ tx }, _: null) => (await tx.users.list()).map((u) => u.username));
const add = async (name: string, fail = false) => (await store.write(addUser, { name, fail }, 1)).value;

describe('SqliteStore', () => {
  it('commits the writes of one turn together; a failing operation rolls back alone', async () => {
    const results = await Promise.allSettled([add('a'), add('b', true), add('c'), store.read(names, null, 1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'job b failed after writing' });
    // The read queued in the same turn sees the batch.
    expect((results[3] as PromiseFulfilledResult<string[]>).value).toEqual(['a', 'c']);
    expect(store.stats()).toMatchObject({ batches: 1, jobs: 2 }); // b rolled back to its savepoint: not carried
    expect(store.retriedBatches).toBe(1); // the batch ran without savepoints first, then again with them
    expect(store.db.inTransaction).toBe(false);
    // A batch in which nothing fails runs once.
    await Promise.all([add('d'), add('e')]);
    expect(store.retriedBatches).toBe(1);
  });

  it('a constraint error inside an operation leaves the batch usable', async () => {
    const results = await Promise.allSettled([add('a'), add('a'), add('b')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(await store.read(names, null, 1)).toEqual(['a', 'b']);
  });

  it('group-fsync: a write resolves only after a WAL sync that began after its commit', async () => {
    const before = store.stats().syncs;
    await add('a');
    expect(store.stats().syncs).toBeGreaterThan(before);
    // Three writes in one turn: one commit, so one sync covers them.
    const syncs = store.stats().syncs;
    await Promise.all([add('b'), add('c'), add('d')]);
    expect(store.stats().syncs).toBe(syncs + 1);
  });

  it('sequences: consecutive within an operation, continued by the next, reused after a rollback', async () => {
    const user = await add('u');
    const take = writeOperation('test.take', async ({ tx }, a: { counts: number[]; fail?: boolean }) => {
      const got: number[] = [];
      for (const count of a.counts) {
        const [first] = await tx.sequences.allocate([[user, count]]);
        got.push(first!);
      }
      const rows = [];
      for (let i = 0; i < got.length; i++) for (let k = 0; k < a.counts[i]!; k++) rows.push({ user_id: user, seq: got[i]! + k, domain: 1, ref: 0, body: Uint8Array.of(1) });
      await tx.events.insert(rows);
      if (a.fail) throw new Error('rolled back');
      return got;
    });
    expect((await store.write(take, { counts: [2, 1] }, 1)).value).toEqual([1, 3]);
    await expect(store.write(take, { counts: [5], fail: true }, 1)).rejects.toThrow('rolled back');
    expect((await store.write(take, { counts: [1] }, 1)).value).toEqual([4]);
    const head = readOperation('test.head', ({ tx }, _: null) => tx.sequences.head(user));
    expect(await store.read(head, null, 1)).toBe(4);
  });

  it('messages.deliveryRef finds the message of a message event, and nothing for other events', async () => {
    const a = await add('a');
    const b = await add('b');
    const op = writeOperation('test.delivery', async ({ tx }, _: null) => {
      const conv = await tx.conversations.ensureDirect(a, b);
      const id = await tx.messages.insert({ conv_id: conv.id, conv_seq: 1, sender_id: a, client_msg_id: 'm1', sent_at: 1, text: 'hi', mentions: '', reply_to: 0, sender_seq: 1 });
      await tx.events.insert([
        { user_id: b, seq: 1, domain: 1, ref: 0, body: Uint8Array.of(9) },
        { user_id: b, seq: 2, domain: 1, ref: id, body: null },
      ]);
      return { conv: conv.id, refs: [await tx.messages.deliveryRef(b, 1), await tx.messages.deliveryRef(b, 2), await tx.messages.deliveryRef(b, 3)] };
    });
    const { value } = await store.write(op, null, 1);
    expect(value.refs).toEqual([undefined, { conv_id: value.conv, conv_seq: 1, sender_id: a }, undefined]);
  });

  it('cached rows follow a rolled-back operation: friendships, conversations, sequences', async () => {
    const a = await add('a');
    const b = await add('b');
    const befriend = writeOperation('test.befriend', async ({ tx }, x: { fail: boolean }) => {
      await tx.friends.set(a, b, FriendState.FRIEND, 1);
      const conv = await tx.conversations.ensureDirect(a, b);
      await tx.messages.insert({ conv_id: conv.id, conv_seq: await tx.conversations.nextSeq(conv.id), sender_id: a, client_msg_id: 'm', sent_at: 1, text: 't', mentions: '', reply_to: 0, sender_seq: 0 });
      if (x.fail) throw new Error('undone');
      return conv.id;
    });
    const state = readOperation('test.state', async ({ tx }, _: null) => ({
      friend: (await tx.friends.get(a, b))?.state,
      conv: (await tx.conversations.direct(a, b))?.id,
    }));
    // Alone, and failing inside a batch whose other operation commits.
    await expect(store.write(befriend, { fail: true }, 1)).rejects.toThrow('undone');
    const [failed, other] = await Promise.allSettled([store.write(befriend, { fail: true }, 1), add('c')]);
    expect([failed.status, other.status]).toEqual(['rejected', 'fulfilled']);
    expect(await store.read(state, null, 1)).toEqual({ friend: undefined, conv: undefined });
    const convId = (await store.write(befriend, { fail: false }, 1)).value;
    expect(await store.read(state, null, 1)).toEqual({ friend: FriendState.FRIEND, conv: convId });
    // The conversation's sequence continues from what was committed, not from what was rolled back.
    const seqs = readOperation('test.seqs', async ({ tx }, _: null) => tx.conversations.seqHead(convId));
    expect(await store.read(seqs, null, 1)).toBe(1);
  });

  it('another connection writing to the file (the admin CLI) empties the cache: nothing stale is used', async () => {
    const a = await add('a');
    const b = await add('b');
    const friend = readOperation('test.friend', async ({ tx }, _: null) => (await tx.friends.get(a, b))?.state ?? 0);
    const head = readOperation('test.head', async ({ tx }, _: null) => tx.sequences.head(a));
    expect(await store.read(friend, null, 1)).toBe(0); // cached: no row
    expect(await store.read(head, null, 1)).toBe(0);
    const other = new Database(join(dir, 't.db'));
    other.prepare('INSERT INTO friends (user_id, friend_id, state, since) VALUES (?, ?, ?, 1)').run(a, b, FriendState.BLOCKED);
    other.prepare('INSERT INTO events (user_id, seq, domain, ref, body) VALUES (?, 1, 2, 0, x\'01\')').run(a);
    other.close();
    const clears = store.cache.clears;
    expect(await store.read(friend, null, 1)).toBe(FriendState.BLOCKED);
    expect(await store.read(head, null, 1)).toBe(1);
    expect(store.cache.clears).toBe(clears + 1);
    // The next allocation continues after the other connection's event instead of colliding with it.
    const take = writeOperation('test.take', async ({ tx }, _: null) => {
      const [first] = await tx.sequences.allocate([[a, 1]]);
      await tx.events.insert([{ user_id: a, seq: first!, domain: 2, ref: 0, body: Uint8Array.of(2) }]);
      return first;
    });
    expect((await store.write(take, null, 1)).value).toBe(2);
  });

  it('a 1:1 send runs four statements (de-dup lookup, message insert, two event inserts); its PUSH_ACK one', async () => {
    const a = await add('a');
    const b = await add('b');
    const setFriends = writeOperation('test.friends', async ({ tx }, _: null) => {
      await tx.friends.set(a, b, FriendState.FRIEND, 1);
      await tx.friends.set(b, a, FriendState.FRIEND, 1);
    });
    await store.write(setFriends, null, 1);
    let n = 0;
    const send = () =>
      store.write(sendMessage, { caller: { userId: a, sessionId: 1 }, to: { type: ConversationType.DIRECT, id: b }, clientMsgId: `c${n++}`, text: 'hi', replyTo: 0, mentions: [], attachments: null, digests: [] }, 1);
    await send(); // creates the conversation
    // Count every statement the connection runs (better-sqlite3's Statement methods).
    const counted: string[] = [];
    const proto = Object.getPrototypeOf(store.db.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>;
    const originals = { run: proto.run, get: proto.get, all: proto.all };
    for (const m of ['run', 'get', 'all'] as const) {
      proto[m] = function (this: Statement, ...args: unknown[]) {
        counted.push(this.source.split(' ').slice(0, 3).join(' '));
        return originals[m].apply(this, args);
      };
    }
    try {
      const sends = await Promise.all(Array.from({ length: 10 }, send));
      const perBatch = ['BEGIN IMMEDIATE', 'PRAGMA data_version', 'PRAGMA data_version', 'COMMIT'];
      expect(counted.filter((s) => !perBatch.includes(s)).sort()).toEqual([
        ...Array<string>(20).fill('INSERT INTO events'),
        ...Array<string>(10).fill('INSERT INTO messages'),
        ...Array<string>(10).fill('SELECT * FROM'), // messages by sender and client id
      ]);
      counted.length = 0;
      const acks = sends.flatMap((r) => r.pushes.filter((p) => p.userId === b).map((p) => ({ userId: b, seq: p.seq })));
      const receipt = await store.write(recordPushAcks, acks, 2);
      expect(counted.filter((s) => !perBatch.includes(s))).toEqual(['INSERT INTO read_state', 'INSERT INTO events']);
      expect(receipt.pushes.map((p) => p.userId)).toEqual([a]);
    } finally {
      Object.assign(proto, originals);
    }
    // Unfriending is seen by the next send at once (the cached friendship row was replaced by the write).
    await store.write(writeOperation('test.unfriend', async ({ tx }, _: null) => tx.friends.set(b, a, FriendState.REMOVED, 2)), null, 2);
    await expect(send()).rejects.toMatchObject({ code: ResultCode.NOT_FRIENDS });
  });

  it('close finishes what is queued, then refuses', async () => {
    const pending = add('last');
    await store.close();
    await expect(pending).resolves.toBeGreaterThan(0);
    await expect(add('late')).rejects.toThrow('store closed');
  });
});
