/** The cache's numbered migrations, in order (the runner is shared/node/sqlite/migrate.ts). */
import type BetterSqlite3 from 'better-sqlite3-multiple-ciphers';
import { migration0001 } from './0001_init';
import { migration0002 } from './0002_mute_until';
import { migration0003 } from './0003_group_actions';
import { migration0004 } from './0004_message_actions';
import { migration0005 } from './0005_attachments';
import { migration0006 } from './0006_conversation_settings';
import { runMigrations, schemaVersion } from '../../../../shared/node/sqlite/migrate';
import type { Migration } from './types';

export type { Migration } from './types';

export const migrations: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006];

export const latestSchemaVersion = migrations.length;

export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(`cache schema version ${found} is newer than this app (${latestSchemaVersion})`);
    this.name = 'SchemaTooNewError';
  }
}

export { schemaVersion };

/** Applies every migration above the file's version, up to `target` (default: all). Returns the versions applied. */
export function migrate(db: BetterSqlite3.Database, target: number = latestSchemaVersion): number[] {
  return runMigrations(db, migrations, target, (found) => new SchemaTooNewError(found));
}
