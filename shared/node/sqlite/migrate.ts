/**
 * The numbered-migration runner both SQLite databases use (the server's data
 * directory and the client's per-account cache). The schema version is
 * SQLite's `user_version`; each migration runs in its own transaction and
 * bumps it, so a crash mid-way leaves the file at a consistent version.
 */
import type { Database } from 'better-sqlite3';

/** One numbered schema step. `up` runs inside a transaction; never edit a released migration, add a new one. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration above the file's version, up to `upTo`. A file newer
 * than the last migration is refused with the error `tooNew` makes.
 * Returns the versions applied.
 */
export function runMigrations(db: Database, migrations: readonly Migration[], upTo: number, tooNew: (found: number) => Error): number[] {
  const current = schemaVersion(db);
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) throw tooNew(current);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > upTo) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
    applied.push(migration.version);
  }
  return applied;
}
