/** Opens the server's SQLite database with the pragmas the server relies on. */
import Database from 'better-sqlite3';
import { migrate } from './migrations';

export interface OpenOptions {
  /**
   * FULL (the default here): SQLite fsyncs the WAL in every commit. The
   * server opens with NORMAL in its default durability mode and syncs the WAL
   * itself, off the event loop, before anyone hears of a commit
   * (./durability.ts); FULL is its `full` mode.
   */
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL only syncs at checkpoints, so whoever opens with
    // NORMAL must sync the WAL before acknowledging (the server does:
    // ./durability.ts); FULL syncs it inside every commit.
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}
