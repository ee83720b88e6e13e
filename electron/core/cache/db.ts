/**
 * A better-sqlite3 connection with a statement cache: repositories call
 * `db.stmt(sql)` with a constant SQL string and get the same prepared
 * statement every time (preparing is the expensive part of a small query).
 */
import type BetterSqlite3 from 'better-sqlite3';

export type Row = Record<string, unknown>;

export class CacheDb {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly raw: BetterSqlite3.Database) {}

  stmt<P extends unknown[] = unknown[], R = Row>(sql: string): BetterSqlite3.Statement<P, R> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.statements.set(sql, s);
    }
    return s as unknown as BetterSqlite3.Statement<P, R>;
  }

  /** Runs `fn` in a transaction; nested calls become savepoints (better-sqlite3 semantics). */
  transaction<T>(fn: () => T): T {
    return this.raw.transaction(fn)();
  }

  close(): void {
    this.statements.clear();
    this.raw.close();
  }
}
