/**
 * Vitest global setup of the `server-postgres` project: one private
 * PostgreSQL for the whole run (tests/support/postgres.ts), stopped after it.
 * Test files get its address with `inject('postgres')` and create their own
 * database on it (tests/server/helpers/server.ts does).
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared test PostgreSQL (only in projects that use this setup). */
    postgres: { url: string; port: number };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // fsync off: the suite's data only has to survive PostgreSQL restarts, not power cuts (tests that restart start their own).
  const pg = await startPostgres({ fsync: false });
  project.provide('postgres', { url: pg.url(), port: pg.port });
  return () => pg.destroy();
}
