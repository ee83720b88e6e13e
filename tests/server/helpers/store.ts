/**
 * Which store the server suite runs against: the `server` Vitest project
 * uses SQLite (in each server's data directory), `server-postgres` sets
 * TERN_TEST_STORE=postgres and a fresh database on the run's shared
 * PostgreSQL for every server a test starts (tests/support/postgres.ts).
 */
import { join } from 'node:path';
import { inject } from 'vitest';
import { PostgresStore } from '../../../server/storage/postgres-store';
import { SqliteStore } from '../../../server/storage/sqlite-store';
import type { Store } from '../../../server/storage/store';
import { createDatabase } from '../../support/postgres';

export const testStore: 'sqlite' | 'postgres' = process.env.TERN_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** The `store` option for a new test server: `sqlite`, or the URL of a new, empty PostgreSQL database. */
export async function freshStore(prefix = 'server'): Promise<string> {
  if (testStore === 'sqlite') return 'sqlite';
  return (await createDatabase(inject('postgres').url, prefix)).url;
}

/** Environment for a server child process (`spawnServer`, `runCli`) using `store`. */
export const storeEnv = (store: string): NodeJS.ProcessEnv => ({ TERN_SERVER_STORE: store });

/** A store of the suite's kind for tests below the server (services, operations): SQLite in `dir`, or a fresh PostgreSQL database. */
export async function openTestStore(dir: string): Promise<Store> {
  if (testStore === 'sqlite') return SqliteStore.open(join(dir, 'test.db'), { durability: 'off' });
  return PostgresStore.open(await freshStore('store'));
}

/** A second connection to a running test server's data (what the admin CLI does): its SQLite file, or its PostgreSQL database. */
export async function openServerStore(server: { dataDir: string; config: { store: string } }): Promise<Store> {
  if (server.config.store === 'sqlite') return SqliteStore.open(join(server.dataDir, 'tern.db'), { durability: 'off' });
  return PostgresStore.open(server.config.store, { poolSize: 2 });
}
