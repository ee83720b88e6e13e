/**
 * The idle-connections fixture, seeded: N accounts, each with one device and
 * its device token, written straight into the cluster's PostgreSQL in a few
 * set-based statements, as load tools seed their fixtures. What this skips
 * is the REGISTER path's one-off work (a scrypt hash per account, a durable
 * transaction per account), which is not what an idle connection costs; each
 * connection then does the server's real path: Noise handshake, LOGIN with
 * the device token (the account and device read, the login recorded in a
 * durable transaction), the session directory row, the bus subscription and
 * the presence change.
 *
 * Every account has the same password hash: one real scrypt hash with the
 * server's default cost, made once here. Device tokens are `SECRET.USERNAME`
 * with a random SECRET per run (so unguessable, as real tokens are); the
 * server stores only SHA-256 of a token (server/services/password.ts), which
 * PostgreSQL computes here with `sha256()`.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { defaultConfig } from '../../server/config';
import { hashPassword } from '../../server/services/password';

export interface SeededAccounts {
  prefix: string;
  count: number;
  /** Device token of user `${prefix}${i}` is `${tokenSecret}.${prefix}${i}`; device id = username. */
  tokenSecret: string;
  seedSeconds: number;
}

/** The device token the fixture gave `username`. */
export const seededToken = (tokenSecret: string, username: string) => `${tokenSecret}.${username}`;

/** Inserts users `${prefix}0 … ${prefix}${count - 1}` with one device each. */
export async function seedAccounts(databaseUrl: string, prefix: string, count: number): Promise<SeededAccounts> {
  const started = performance.now();
  const tokenSecret = randomBytes(24).toString('base64url');
  const passwordHash = await hashPassword('bench-password', defaultConfig.scrypt);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const now = Date.now();
    const step = 20_000;
    for (let from = 0; from < count; from += step) {
      const to = Math.min(count, from + step) - 1;
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO users (username, password_hash, nickname, created_at, updated_at)
         SELECT $1 || i, $2, $1 || i, $3, $3 FROM generate_series($4::int, $5::int) AS i`,
        [prefix, passwordHash, now, from, to],
      );
      await client.query(
        `INSERT INTO devices (user_id, device_id, device_name, token_hash, created_at, last_login)
         SELECT u.id, u.username, 'bench', sha256(convert_to($2 || '.' || u.username, 'UTF8')), $3, $3
         FROM users u WHERE u.username = ANY (SELECT $1 || i FROM generate_series($4::int, $5::int) AS i)`,
        [prefix, tokenSecret, now, from, to],
      );
      await client.query('COMMIT');
    }
    await client.query('ANALYZE users');
    await client.query('ANALYZE devices');
  } finally {
    await client.end();
  }
  return { prefix, count, tokenSecret, seedSeconds: (performance.now() - started) / 1000 };
}
