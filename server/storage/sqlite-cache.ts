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
 *   half at once (CachedMap); a forgotten entry is read again from the
 *   table.
 *
 * Cached rows are frozen: a caller that tried to change one would change the
 * cache, not the table.
 */

const ABSENT = Symbol('absent');

export class SqliteCache {
  private readonly maps: Array<CachedMap<unknown, unknown>> = [];
  /** Flat triples (map, key, previous value or ABSENT), oldest first: one array, no tuple per change. */
  private undo: unknown[] = [];
  private inTransaction = false;
  /** Entries dropped because another connection wrote (tests look at this). */
  clears = 0;

  map<K, V>(limit: number): CachedMap<K, V> {
    const map = new CachedMap<K, V>(limit, this);
    this.maps.push(map as CachedMap<unknown, unknown>);
    return map;
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
    for (let i = undo.length - 3; i >= mark; i -= 3) (undo[i] as CachedMap<unknown, unknown>).restore(undo[i + 1], undo[i + 2]);
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
    for (const map of this.maps) map.forget();
    this.undo = [];
    this.clears++;
  }

  /** @internal `previous`: what `key` showed before this change (undefined: nothing). */
  logged(map: CachedMap<unknown, unknown>, key: unknown, previous: unknown): void {
    if (this.inTransaction) this.undo.push(map, key, previous === undefined ? ABSENT : previous);
  }
}

/**
 * One cached table, in two generations: new entries go to `young`; when it
 * holds half the limit, it becomes `old` (the previous old one is dropped,
 * oldest entries forgotten first, a whole half at once) and a new `young`
 * starts. A key is looked up in `young`, then `old`. So nothing is ever
 * iterated: forgetting "the oldest entry" of one Map (`keys().next()` after
 * deletes at its front) walks every deleted slot V8 has not compacted yet,
 * tens of microseconds per insert once a map is full (a long-running server).
 * At most `limit` entries are held, and the latest `limit / 2` keys set are
 * always kept.
 */
export class CachedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(
    limit: number,
    private readonly cache: SqliteCache,
  ) {
    this.half = Math.max(1, Math.floor(limit / 2));
  }

  /** The cached value, or undefined when not cached (a cached "no row" is null). */
  get(key: K): V | undefined {
    const value = this.young.get(key);
    return value !== undefined ? value : this.old.get(key);
  }

  /** Remembers `value` for `key`: the database now holds it (read or written in this transaction). */
  set(key: K, value: V): V {
    this.cache.logged(this as CachedMap<unknown, unknown>, key, this.get(key));
    if (this.young.size >= this.half && !this.young.has(key)) {
      this.old = this.young;
      this.young = new Map();
    }
    if (typeof value === 'object' && value !== null) Object.freeze(value);
    this.young.set(key, value);
    return value;
  }

  /** @internal Puts back what `key` showed before a change (a rollback); ABSENT: nothing. */
  restore(key: K, previous: unknown): void {
    if (previous === ABSENT) {
      this.young.delete(key);
      this.old.delete(key);
    } else {
      this.young.set(key, previous as V);
    }
  }

  /** @internal */
  forget(): void {
    this.young = new Map();
    this.old = new Map();
  }

  /** Entries held (a key set again after its generation aged may count twice). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
