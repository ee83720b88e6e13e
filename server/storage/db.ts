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

/**
 * Pages in the WAL before a commit copies them back into the database file (SQLite's default is 1,000). A busy
 * server's group commit writes a few hundred pages, mostly the same ones each time (each active user's newest events
 * page, each active conversation's newest index page), so at 1,000 it checkpointed every two or three commits and
 * wrote those pages to the database file over and over. At 10,000 (a WAL of about 40 MB, kept at that size) a
 * checkpoint comes every twenty-odd commits and writes each page once: about a quarter fewer bytes written per
 * message and less system time (docs/PERFORMANCE.md, "Fourth step"). Nothing about durability changes: commits
 * are durable once the WAL is synced; a checkpoint still syncs the WAL before copying and the database after.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL only syncs at checkpoints, so whoever opens with
    // NORMAL must sync the WAL before acknowledging (the server does:
    // ./durability.ts); FULL syncs it inside every commit.
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  return db;
}
