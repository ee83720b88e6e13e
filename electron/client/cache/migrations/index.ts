/**
 * The numbered migrations, in order, and the runner. The schema version is
 * SQLite's `user_version`; each migration runs in its own transaction and
 * bumps it, so a crash mid-way leaves the file at a consistent version.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { migration0001 } from './0001_init';
import type { Migration } from './types';

export type { Migration } from './types';

export const migrations: readonly Migration[] = [migration0001];

export const latestSchemaVersion = migrations.length;

export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(`cache schema version ${found} is newer than this app (${latestSchemaVersion})`);
    this.name = 'SchemaTooNewError';
  }
}

export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the file's version, up to `target` (default: all). Returns the versions applied. */
export function migrate(db: BetterSqlite3.Database, target: number = latestSchemaVersion): number[] {
  const current = schemaVersion(db);
  if (current > latestSchemaVersion) throw new SchemaTooNewError(current);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
