/** Opens the server's SQLite database with the pragmas the server relies on. */
import Database from 'better-sqlite3';
import { migrate } from './migrations';

export interface OpenOptions {
  /** FULL (default): a commit is on disk before the call returns, so an ack survives power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
}

export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL only syncs at checkpoints: a commit acknowledged to a
    // sender could vanish on power loss. FULL syncs the WAL on every commit;
    // the message path batches many sends into one transaction to amortise it.
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}
