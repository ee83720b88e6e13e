// The SQLite store's row cache (server/storage/sqlite-cache.ts): changes inside a transaction are undone exactly by a
// rollback (to an operation's mark, or whole), kept by a commit; a map forgets its oldest entries past its limit.
import { describe, expect, it } from 'vitest';
import { SqliteCache } from '../../server/storage/sqlite-cache';

describe('SqliteCache', () => {
  it('undoes an operation, then a transaction; keeps what was committed', () => {
    const cache = new SqliteCache();
    const heads = cache.map<number, number>(100);
    const rows = cache.map<string, { state: number } | null>(100);
    heads.set(1, 10); // outside a transaction: a read of committed data
    cache.begin();
    heads.set(1, 11);
    const mark = cache.mark();
    heads.set(1, 12);
    heads.set(2, 5);
    rows.set('1,2', null);
    cache.rollbackTo(mark);
    expect([heads.get(1), heads.get(2), rows.get('1,2')]).toEqual([11, undefined, undefined]);
    rows.set('1,2', { state: 1 });
    cache.commit();
    cache.begin();
    heads.set(1, 20);
    rows.set('1,2', { state: 3 });
    cache.rollback();
    expect([heads.get(1), rows.get('1,2')]).toEqual([11, { state: 1 }]);
  });

  it('forgets the oldest entry past its limit, freezes cached rows, and clears everything on request', () => {
    const cache = new SqliteCache();
    const map = cache.map<number, { n: number }>(3);
    for (let i = 1; i <= 4; i++) map.set(i, { n: i });
    expect([map.get(1), map.size]).toEqual([undefined, 3]);
    expect(Object.isFrozen(map.get(4))).toBe(true);
    cache.clear();
    expect([map.size, cache.clears]).toEqual([0, 1]);
  });
});
