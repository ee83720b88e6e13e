// The group-fsync durability tracker on a real WAL file: nothing waits when all is synced, callbacks run in commit
// order after a sync that started after their commit, and `full`/`off` never wait.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Durability } from '../../server/storage/durability';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { removeDir, tempDir } from './helpers/server';

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = tempDir();
  store = SqliteStore.open(join(dir, 'd.db'), { synchronous: 'NORMAL' });
});
afterEach(() => {
  store.close();
  removeDir(dir);
});

function write(n: number) {
  store.transaction(() => store.users.create({ username: `u${n}`, passwordHash: 'h', nickname: 'n', now: n }));
}

describe('Durability', () => {
  it('group-fsync: waits for a sync after each commit, in order, batching commits made meanwhile', async () => {
    const d = new Durability('group-fsync', join(dir, 'd.db-wal'));
    store.onCommit = () => d.noteCommit();
    expect(d.barrier()).toBeUndefined();
    const order: string[] = [];
    write(1);
    d.afterDurable(() => order.push('a'));
    expect(order).toEqual([]); // not before the sync
    write(2);
    d.afterDurable(() => order.push('b'));
    write(3);
    const barrier = d.barrier();
    expect(barrier).toBeInstanceOf(Promise);
    await barrier;
    expect(order).toEqual(['a', 'b']);
    expect(d.barrier()).toBeUndefined();
    expect(d.syncs).toBeGreaterThanOrEqual(1);
    expect(d.syncs).toBeLessThanOrEqual(2); // three commits, at most two syncs
    d.close();
  });

  it('full and off: durable at commit, nothing waits', () => {
    for (const mode of ['full', 'off'] as const) {
      const d = new Durability(mode, join(dir, 'd.db-wal'));
      store.onCommit = () => d.noteCommit();
      write(mode === 'full' ? 10 : 11);
      let ran = false;
      d.afterDurable(() => (ran = true));
      expect(ran).toBe(true);
      expect(d.barrier()).toBeUndefined();
      d.close();
    }
  });

  it('close releases whatever still waits', () => {
    const d = new Durability('group-fsync', join(dir, 'd.db-wal'));
    store.onCommit = () => d.noteCommit();
    write(1);
    let ran = false;
    d.afterDurable(() => (ran = true));
    d.close();
    expect(ran).toBe(true);
  });
});
