// The test PostgreSQL harness (tests/support/postgres.ts): the shared instance hands out fresh databases; a private
// instance survives an immediate stop (a crash, for PostgreSQL) with its committed data, on the same port.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startPostgres, type PostgresInstance } from '../support/postgres';
import { removeDir, startTestServer } from './helpers/server';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('test PostgreSQL', () => {
  it('the shared instance is a real PostgreSQL 15+, and each createDatabase is fresh and separate', async () => {
    const shared = inject('postgres');
    const [row] = await query<{ server_version_num: string }>(shared.url, 'SHOW server_version_num');
    expect(Number(row?.server_version_num)).toBeGreaterThanOrEqual(150000);
  });

  it('test servers of this project store in a fresh PostgreSQL database, not in their data directory', async () => {
    const server = await startTestServer();
    try {
      expect(server.config.store).toMatch(/^postgres:\/\/tern@127\.0\.0\.1:\d+\/server_/);
      expect(existsSync(join(server.dataDir, 'tern.db'))).toBe(false);
      const [row] = await query<{ n: number }>(server.config.store, 'SELECT count(*)::int AS n FROM users');
      expect(row).toEqual({ n: 0 });
      await server.user('pg_user_check');
      expect(await query(server.config.store, 'SELECT username FROM users')).toEqual([{ username: 'pg_user_check' }]);
    } finally {
      await server.close();
      removeDir(server.dataDir);
    }
  });

  let own: PostgresInstance | undefined;
  afterAll(() => own?.destroy());

  it('a private instance: fresh databases, committed data survives an immediate stop, same port after start', async () => {
    own = await startPostgres({ fsync: false });
    const a = await own.createDatabase('harness');
    const b = await own.createDatabase('harness');
    expect(a.name).not.toBe(b.name);
    await query(a.url, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)');
    await expect(query(b.url, 'SELECT * FROM t')).rejects.toThrow(/does not exist/);
    const port = own.port;
    await own.stop({ mode: 'immediate' });
    await expect(query(a.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
    await own.start();
    expect(own.port).toBe(port);
    expect(await query<{ x: number }>(a.url, 'SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
    await a.drop();
    await expect(query(a.url, 'SELECT 1')).rejects.toThrow(/does not exist/);
    await own.destroy();
    await expect(query(b.url, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);
});
