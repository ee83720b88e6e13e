// The SQLite store's row cache (server/storage/sqlite-cache.ts): changes inside a transaction are undone exactly by a
// rollback (to an operation's mark, or whole), kept by a commit; a map forgets its oldest half past its limit.
import { describe, expect, it } from 'vitest';
import { SqliteCache } from '../../server/storage/sqlite-cache';
import { pairKey } from '../../server/storage/sqlite-repos';

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

  it('never shows a value the database does not hold, through random operations, rollbacks and generations', () => {
    // A model database (committed, plus the open transaction's writes with savepoints) against the cache.
    let seed = 42;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const cache = new SqliteCache();
    const map = cache.map<number, number>(8);
    let db = new Map<number, number>();
    for (let txn = 0; txn < 400; txn++) {
      const before = new Map(db);
      cache.begin();
      for (let op = 0; op < 1 + random(4); op++) {
        const atOp = new Map(db);
        const mark = cache.mark();
        for (let change = 0; change < 1 + random(5); change++) {
          const key = random(20);
          if (random(3) === 0) {
            // A read that misses fills the cache from the table.
            if (map.get(key) === undefined && db.has(key)) map.set(key, db.get(key)!);
          } else {
            const value = random(1000);
            db.set(key, value);
            map.set(key, value);
          }
        }
        if (random(4) === 0) {
          db = atOp;
          cache.rollbackTo(mark);
        }
        for (let key = 0; key < 20; key++) if (map.get(key) !== undefined) expect(map.get(key)).toBe(db.get(key));
      }
      if (random(3) === 0) {
        db = before;
        cache.rollback();
      } else {
        cache.commit();
      }
      for (let key = 0; key < 20; key++) if (map.get(key) !== undefined) expect(map.get(key)).toBe(db.get(key));
    }
  });

  it('forgets its oldest half past its limit, keeps the latest half, freezes cached rows, and clears everything on request', () => {
    const cache = new SqliteCache();
    const map = cache.map<number, { n: number }>(4);
    for (let i = 1; i <= 5; i++) map.set(i, { n: i });
    expect([1, 2, 3, 4, 5].map((i) => map.get(i)?.n)).toEqual([undefined, undefined, 3, 4, 5]);
    expect(map.size).toBeLessThanOrEqual(4);
    map.set(3, { n: 30 }); // set again: found in the newer generation, not the one that ages out
    map.set(6, { n: 6 });
    expect([3, 4, 5, 6].map((i) => map.get(i)?.n)).toEqual([30, undefined, 5, 6]);
    expect(Object.isFrozen(map.get(6))).toBe(true);
    cache.clear();
    expect([map.size, map.get(6), cache.clears]).toEqual([0, undefined, 1]);
  });

  it('undoes exactly across generations: a rollback puts back values that aged out or were dropped meanwhile', () => {
    const cache = new SqliteCache();
    const map = cache.map<number, number>(2); // one entry per generation
    map.set(1, 10);
    map.set(2, 20); // 1 is now in the old generation
    cache.begin();
    map.set(1, 11); // 2 ages, 1 in the young one
    map.set(3, 30); // 1 ages, 2 is dropped
    map.set(4, 40); // 3 ages, 1 (with 11) is dropped
    expect([map.get(1), map.get(2), map.get(3), map.get(4)]).toEqual([undefined, undefined, 30, 40]);
    cache.rollback();
    // What the database holds again: 1 = 10, 3 and 4 never existed; 2 was forgotten (a miss reads the table).
    expect([map.get(1), map.get(3), map.get(4)]).toEqual([10, undefined, undefined]);
  });

  it('never iterates a map to forget entries (a full map costs the same per insert as an empty one)', () => {
    const cache = new SqliteCache();
    const map = cache.map<number, number>(1000);
    const keys = Map.prototype.keys;
    let iterated = 0;
    Map.prototype.keys = function (this: Map<unknown, unknown>) {
      iterated++;
      return keys.call(this);
    };
    try {
      for (let i = 0; i < 5000; i++) map.set(i, i);
    } finally {
      Map.prototype.keys = keys;
    }
    expect(iterated).toBe(0);
    expect(map.size).toBeLessThanOrEqual(1000);
  });

  it('keys a pair of ids by one exact number while both fit in 26 bits, by a string otherwise, never colliding', () => {
    expect(pairKey(1, 2)).toBe(1 * 2 ** 26 + 2);
    expect(pairKey(2 ** 26 - 1, 2 ** 26 - 1)).toBe(2 ** 52 - 1);
    expect(pairKey(2 ** 26, 5)).toBe(`${2 ** 26},5`);
    expect(pairKey(5, 2 ** 40)).toBe(`5,${2 ** 40}`);
    // Not a non-negative integer: a string, so (0.5, x) or (1, -1) cannot land on another pair's number.
    expect(pairKey(1, -1)).toBe('1,-1');
    expect(pairKey(0.5, 3)).toBe('0.5,3');
    const pairs = [
      [1, 2],
      [2, 1],
      [0, 2 ** 26 + 2], // 1 * 2^26 + 2 as a sum, but out of range: a string
      [1, 2 ** 26],
      [2 ** 26, 1],
      [1, 0],
    ] as const;
    expect(new Set(pairs.map(([a, b]) => pairKey(a, b))).size).toBe(pairs.length);
  });
});
