// The group-fsync durability tracker on a real WAL file: nothing waits when all is synced, callbacks run in commit
// order after a sync that started after their commit, and `full`/`off` never wait.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../../server/storage/db';
import { Durability } from '../../server/storage/durability';
import { removeDir, tempDir } from './helpers/server';

let dir: string;
let db: Database;
let onCommit: () => void;
beforeEach(() => {
  dir = tempDir();
  db = openDatabase(join(dir, 'd.db'), { synchronous: 'NORMAL' });
  onCommit = () => {};
});
afterEach(() => {
  db.close();
  removeDir(dir);
});

/** One committed transaction (autocommit), then the tracker is told, as the store does. */
function write(n: number) {
  db.prepare('INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(`u${n}`, 'h', 'n', n, n);
  onCommit();
}

describe('Durability', () => {
  it('group-fsync: waits for a sync after each commit, in order, batching commits made meanwhile', async () => {
    const d = new Durability('group-fsync', join(dir, 'd.db-wal'));
    onCommit = () => d.noteCommit();
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
      onCommit = () => d.noteCommit();
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
    onCommit = () => d.noteCommit();
    write(1);
    let ran = false;
    d.afterDurable(() => (ran = true));
    d.close();
    expect(ran).toBe(true);
  });
});
