/**
 * A better-sqlite3 connection with a statement cache: repositories call
 * `db.stmt(sql)` with a constant SQL string and get the same prepared
 * statement every time (preparing is the expensive part of a small query).
 * Each `stmt()` call runs its statement once, so `statements` counts the
 * statements run: the cost of an operation, which tests hold down.
 */
import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';

export type Row = Record<string, unknown>;

export class CacheDb {
  private readonly prepared = new Map<string, BetterSqlite3.Statement>();
  /** Statements run so far on this connection. */
  statements = 0;

  constructor(readonly raw: BetterSqlite3.Database) {}

  stmt<P extends unknown[] = unknown[], R = Row>(sql: string): BetterSqlite3.Statement<P, R> {
    this.statements += 1;
    let s = this.prepared.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.prepared.set(sql, s);
    }
    return s as unknown as BetterSqlite3.Statement<P, R>;
  }

  /** Runs `fn` in a transaction; nested calls become savepoints (better-sqlite3 semantics). */
  transaction<T>(fn: () => T): T {
    return this.raw.transaction(fn)();
  }

  close(): void {
    this.prepared.clear();
    this.raw.close();
  }
}
