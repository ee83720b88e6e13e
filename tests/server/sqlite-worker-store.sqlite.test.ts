// The embedded store on its own thread (sqlite-worker-store.ts): operations cross by name and run in the worker's
// group commit, errors keep their protocol codes, close answers what is queued, and a dead worker fails what waits.
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/protocol';
import { addUser, listUsers, usernameTaken } from '../../server/operations/accounts';
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
