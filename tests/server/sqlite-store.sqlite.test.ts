// The embedded store's group commit (sqlite-store.ts): writes queued in one turn share a transaction, each operation in
// its own savepoint; reads queued with them see them; answers wait for durability; sequences continue without gaps.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOperation, writeOperation } from '../../server/operations/operation';
import { SqliteStore } from '../../server/storage/sqlite-store';
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
    expect(store.db.inTransaction).toBe(false);
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

  it('close finishes what is queued, then refuses', async () => {
    const pending = add('last');
    await store.close();
    await expect(pending).resolves.toBeGreaterThan(0);
    await expect(add('late')).rejects.toThrow('store closed');
  });
});
