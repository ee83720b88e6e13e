import type BetterSqlite3 from 'better-sqlite3';

/** One numbered schema step. `up` runs inside a transaction; never edit a released migration, add a new one. */
export interface Migration {
  version: number;
  name: string;
  up(db: BetterSqlite3.Database): void;
}
