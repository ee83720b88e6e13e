// The embedded store on its own thread (sqlite-worker-store.ts): operations cross by name and run in the worker's
// group commit (sends and PUSH_ACKs as binary entries, worker-channel.ts), errors keep their protocol codes, close
// answers what is queued, and a dead worker fails what waits.
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ConversationType, ENCODED_PAYLOAD, ResultCode, SendMessageAckSchema, SyncEventSchema } from '../../shared/protocol';
import { addUser, listUsers, usernameTaken } from '../../server/operations/accounts';
import { acceptFriend, requestFriend } from '../../server/operations/friends';
import { recordPushAcks, sendMessage } from '../../server/operations/messages';
import { writeOperation } from '../../server/operations/operation';
import { ServiceError } from '../../server/services/errors';
import { SqliteWorkerStore } from '../../server/storage/sqlite-worker-store';
import { removeDir, tempDir } from './helpers/server';

let dir: string;
let store: SqliteWorkerStore;
let fatal: unknown[];

beforeEach(async () => {
  dir = tempDir();
  fatal = [];
  store = await SqliteWorkerStore.open(join(dir, 'w.db'), { durability: 'group-fsync', onFatal: (err) => fatal.push(err) });
});
afterEach(async () => {
  await store.close();
  removeDir(dir);
});

const add = (name: string) => store.write(addUser, { username: name, passwordHash: 'h', nickname: name }, 1_000);

describe('SqliteWorkerStore', () => {
  it('runs registered operations in the worker: one turn of writes is one commit, reads see them', async () => {
    const users = await Promise.all(['a', 'b', 'c', 'd'].map(add));
    expect(users.map((u) => u.value.username)).toEqual(['a', 'b', 'c', 'd']);
    expect(users[0]!.value.created_at).toBe(1_000); // the caller's clock, not the worker's
    expect(store.stats()).toMatchObject({ batches: 1, jobs: 4 });
    expect(store.stats().syncs).toBeGreaterThanOrEqual(1); // group-fsync: answered after the WAL sync
    expect((await store.read(listUsers, null, 0)).map((u) => u.username)).toEqual(['a', 'b', 'c', 'd']);
    expect(await store.read(usernameTaken, 'c', 0)).toBe(true);
  });

  it('a ServiceError keeps its code across the thread; an unregistered operation is refused by name', async () => {
    await add('taken');
    const err = await add('taken').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err).toMatchObject({ code: ResultCode.USERNAME_TAKEN, message: 'username taken is taken' });
    const local = writeOperation('test.notRegistered', async () => threadId);
    await expect(store.write(local, null, 0)).rejects.toThrow('no write operation named test.notRegistered is registered');
  });

  it('sends and PUSH_ACKs cross in binary: acks carry their encoding, pushes their payloads, errors their codes', async () => {
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map(add))).map((u) => u.value.id);
    const request = await store.write(requestFriend, { caller: { userId: a!, sessionId: 1 }, target: { userId: b! }, message: '' }, 1);
    await store.write(acceptFriend, { caller: { userId: b!, sessionId: 2 }, requestId: Number(request.value.requestId) }, 2);
    const send = (to: number, text: string, extra = {}) =>
      store.write(sendMessage, { caller: { userId: a!, sessionId: 1 }, to: { type: ConversationType.DIRECT, id: to }, clientMsgId: `id-${text}`, text, replyTo: 0, mentions: [], attachments: null, digests: [], ...extra }, 5_000);
    // A hot send, a structured one (attachments are checked by the service, so the write goes the general way) and a
    // hot one that fails, all in one turn.
    const [first, withFile, stranger] = await Promise.allSettled([send(b!, 'hi 你好'), send(b!, 'file', { attachments: new Uint8Array(0), digests: [] }), send(c!, 'who?')]);
    expect([first.status, withFile.status, stranger.status]).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((stranger as PromiseRejectedResult).reason).toMatchObject({ code: ResultCode.NOT_FRIENDS });
    const { value: ack, pushes } = (first as PromiseFulfilledResult<Awaited<ReturnType<typeof send>>>).value;
    expect(ack).toMatchObject({ sentAt: 5_000n, duplicate: false });
    const encoded = (ack as unknown as Record<symbol, Uint8Array>)[ENCODED_PAYLOAD]!;
    expect(Buffer.from(encoded).equals(toBinary(SendMessageAckSchema, create(SendMessageAckSchema, ack)))).toBe(true);
    expect(pushes.map((p) => [p.userId, p.skipSession])).toEqual([[a, 1], [b, undefined]]);
    const event = fromBinary(SyncEventSchema, pushes[1]!.payload);
    expect(event.event.case === 'message' && event.event.value.text).toBe('hi 你好');
    // The resend gets the original ack; the receiver's PUSH_ACK makes the delivered receipt for the sender.
    expect((await send(b!, 'hi 你好')).value).toMatchObject({ msgId: ack.msgId, duplicate: true });
    const receipt = await store.write(recordPushAcks, [{ userId: b!, seq: pushes[1]!.seq }], 6_000);
    expect(receipt.pushes.map((p) => p.userId)).toEqual([a]);
    expect(fromBinary(SyncEventSchema, receipt.pushes[0]!.payload).event.case).toBe('receipt');
  });

  it('close commits and answers what is queued, then refuses', async () => {
    const queued = add('last');
    await store.close();
    await expect(queued).resolves.toMatchObject({ value: { username: 'last' } });
    await expect(add('late')).rejects.toThrow('store closed');
  });

  it('a worker that dies fails what waits and reports it once', async () => {
    const waiting = add('never');
    await (store as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(waiting).rejects.toThrow(/SQLite worker exited/);
    await expect(add('after')).rejects.toThrow(/SQLite worker exited/);
    expect(fatal).toHaveLength(1);
  });
});
