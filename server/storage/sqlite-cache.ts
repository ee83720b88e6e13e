/**
 * Rows the SQLite store keeps in memory so that a send reads no table for
 * them: friendships, conversations, each user's and each conversation's
 * latest sequence, and where recent message events point. The store's
 * connection is the only writer while the server runs, and every write of
 * these rows goes through the repositories (sqlite-repos.ts), which update
 * the cache as they write; a miss reads the table and remembers the answer.
 *
 * Exactness, by construction:
 * - Rollbacks: inside a transaction every change is logged with the value it
 *   replaced, so a failed operation (`rollbackTo` its mark) or a failed
 *   transaction (`rollback`) puts back exactly what the database puts back.
 * - Other connections: the admin CLI may write to the file while the server
 *   runs. SQLite's `PRAGMA data_version` changes when another connection has
 *   committed; the store checks it when a batch starts (after taking the
 *   write lock) and `clear`s everything if it moved.
 * - Restarts: nothing is persisted; the cache starts empty and fills from
 *   the tables.
 * - Size: each map holds at most `limit` entries and forgets its oldest
 *   first; a forgotten entry is read again from the table.
 *
 * Cached rows are frozen: a caller that tried to change one would change the
 * cache, not the table.
 */

const ABSENT = Symbol('absent');

export class SqliteCache {
  private readonly maps: Array<Map<unknown, unknown>> = [];
  /** Flat triples (map, key, previous value or ABSENT), oldest first: one array, no tuple per change. */
  private undo: unknown[] = [];
  private inTransaction = false;
  /** Entries dropped because another connection wrote (tests look at this). */
  clears = 0;

  map<K, V>(limit: number): CachedMap<K, V> {
    const map = new Map<K, V>();
    this.maps.push(map as Map<unknown, unknown>);
    return new CachedMap(map, limit, this);
  }

  begin(): void {
    this.undo = [];
    this.inTransaction = true;
  }

  /** Where an operation starts: `rollbackTo(mark)` undoes what it changed. */
  mark(): number {
    return this.undo.length;
  }

  rollbackTo(mark: number): void {
    const undo = this.undo;
    for (let i = undo.length - 3; i >= mark; i -= 3) {
      const map = undo[i] as Map<unknown, unknown>;
      const previous = undo[i + 2];
      if (previous === ABSENT) map.delete(undo[i + 1]);
      else map.set(undo[i + 1], previous);
    }
    undo.length = mark;
  }

  commit(): void {
    this.undo = [];
    this.inTransaction = false;
  }

  rollback(): void {
    this.rollbackTo(0);
    this.inTransaction = false;
  }

  /** Forgets everything (another connection wrote to the database). */
  clear(): void {
    for (const map of this.maps) map.clear();
    this.undo = [];
    this.clears++;
  }

  /** @internal */
  logged(map: Map<unknown, unknown>, key: unknown): void {
    if (!this.inTransaction) return;
    const previous = map.get(key);
    this.undo.push(map, key, previous === undefined && !map.has(key) ? ABSENT : previous);
  }
}

export class CachedMap<K, V> {
  constructor(
    private readonly map: Map<K, V>,
    private readonly limit: number,
    private readonly cache: SqliteCache,
  ) {}

  /** The cached value, or undefined when not cached (a cached "no row" is null). */
  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Remembers `value` for `key`: the database now holds it (read or written in this transaction). */
  set(key: K, value: V): V {
    const map = this.map as Map<unknown, unknown>;
    this.cache.logged(map, key);
    if (!this.map.has(key) && this.map.size >= this.limit) {
      // The oldest entry goes; undoing its removal is not needed (it would only be read again).
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
    }
    if (typeof value === 'object' && value !== null) Object.freeze(value);
    this.map.set(key, value);
    return value;
  }

  get size(): number {
    return this.map.size;
  }
}
