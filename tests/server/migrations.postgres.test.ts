// Each numbered PostgreSQL migration, applied one at a time to a fresh database; the run is idempotent, refuses a
// database from a newer server, and two servers starting together migrate once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestPostgresVersion, migratePostgres, postgresMigrations } from '../../server/storage/postgres-migrations';
import { freshStore } from './helpers/store';

const pools: pg.Pool[] = [];
async function freshPool(): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await freshStore('migrations'), max: 4 });
  pools.push(pool);
  return pool;
}
afterAll(() => Promise.all(pools.map((p) => p.end())));

async function tables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

describe('PostgreSQL migrations', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = await freshPool();
  });

  it('are numbered 1..n without gaps', () => {
    expect(postgresMigrations.map((m) => m.version)).toEqual(postgresMigrations.map((_, i) => i + 1));
    expect(latestPostgresVersion).toBe(postgresMigrations.length);
  });

  it('1: creates the schema on an empty database, with the sequence counters', async () => {
    expect(await migratePostgres(pool, 1)).toEqual([1]);
    expect(await tables(pool)).toEqual(
      expect.arrayContaining(['users', 'user_seqs', 'devices', 'events', 'events_domain', 'conversations', 'messages', 'read_state', 'friend_requests', 'friends', 'groups', 'group_members', 'schema_migrations']),
    );
    const { rows } = await pool.query('SELECT version, name FROM schema_migrations');
    expect(rows).toEqual([{ version: 1, name: 'initial schema' }]);
  });

  it('2: blob records and message references; existing messages have no attachments', async () => {
    await pool.query("INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ('u', 'h', 'n', 1, 1)");
    await pool.query("INSERT INTO conversations (kind, group_id) VALUES (2, 7)");
    await pool.query("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (1, 1, 1, 'c', 1, 't', 1)");
    expect(await migratePostgres(pool, 2)).toEqual([2]);
    expect(await tables(pool)).toEqual(expect.arrayContaining(['blobs', 'message_blobs', 'blobs_uploader', 'message_blobs_msg']));
    const { rows } = await pool.query('SELECT text, attachments FROM messages');
    expect(rows).toEqual([{ text: 't', attachments: null }]);
    await pool.query('DELETE FROM messages; DELETE FROM conversations; DELETE FROM users');
  });

  it('3: per-domain index only outside the messages domain, and the per-domain sync query uses it', async () => {
    expect(await migratePostgres(pool, 3)).toEqual([3]);
    const names = await tables(pool);
    expect(names).not.toContain('events_domain');
    expect(names).toContain('events_other_domains');
    const { rows } = await pool.query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'events_other_domains'");
    expect(rows[0]?.def).toMatch(/WHERE \(domain <> 1\)/);
    // Enough rows (and fresh statistics) that the planner prefers an index to a scan.
    await pool.query('INSERT INTO events (user_id, seq, domain) SELECT u, s, CASE WHEN s % 20 = 0 THEN 2 ELSE 1 END FROM generate_series(1, 50) u, generate_series(1, 400) s');
    await pool.query('ANALYZE events');
    const plan = async (sql: string, values: unknown[]) => (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(await plan('SELECT * FROM events WHERE user_id = $1 AND seq > $2 AND domain = ANY($3::smallint[]) AND domain <> 1 ORDER BY seq LIMIT $4', [7, 0, [2], 10])).toMatch(/events_other_domains/);
    expect(await plan('SELECT * FROM events WHERE user_id = $1 AND seq > $2 AND domain = ANY($3::smallint[]) ORDER BY seq LIMIT $4', [7, 0, [1], 10])).toMatch(/events_pkey/);
    await pool.query('DELETE FROM events');
  });

  it('6: devices get a platform and a last-active time (their last login), users a last-seen setting, and conversation settings a table', async () => {
    const { rows: users } = await pool.query<{ id: string }>("INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ('u6', 'h', 'n', 1, 1) RETURNING id");
    await pool.query("INSERT INTO devices (user_id, device_id, device_name, token_hash, created_at, last_login) VALUES ($1, 'd', 'laptop', '\\x01', 1, 42)", [users[0]!.id]);
    expect(await migratePostgres(pool, 6)).toEqual([4, 5, 6]);
    expect((await pool.query('SELECT platform, last_active FROM devices')).rows).toEqual([{ platform: '', last_active: '42' }]);
    expect((await pool.query("SELECT last_seen_privacy FROM users WHERE username = 'u6'")).rows).toEqual([{ last_seen_privacy: 0 }]);
    await pool.query('INSERT INTO conversation_settings (user_id, conv_type, target_id, pinned, updated_at) VALUES (1, 1, 2, 1, 5)');
    await expect(pool.query('INSERT INTO conversation_settings (user_id, conv_type, target_id, updated_at) VALUES (1, 1, 2, 6)')).rejects.toThrow(/duplicate key/);
  });

  it('7: a queue of kicks per node; a login replacing a session on another node queues its kick', async () => {
    await pool.query("INSERT INTO cluster_sessions (user_id, device_id, node_id, session_id) VALUES (70, 'phone', 'n1', 5)");
    expect(await migratePostgres(pool, 7)).toEqual([7]);
    await pool.query("SELECT tern_session_add(70, 'phone', 'n2', 9, false, 60000, 1::smallint, 'new phone')");
    const { rows } = await pool.query('SELECT node_id, session_id, user_id, reason, device_name FROM cluster_kicks');
    expect(rows).toEqual([{ node_id: 'n1', session_id: '5', user_id: '70', reason: 1, device_name: 'new phone' }]);
    await pool.query('DELETE FROM cluster_kicks; DELETE FROM cluster_sessions');
  });

  it('9: the de-duplication key leads with the client id; every message stays, the duplicate check uses it', async () => {
    await pool.query("INSERT INTO conversations (id, kind, group_id) VALUES (80, 2, 80)");
    // Time-ordered client ids (as UUIDv7 text sorts) from 40 senders, and one id that two senders both used.
    await pool.query(
      `INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq)
       SELECT 80, s, s % 40, lpad(to_hex(s), 12, '0') || '-7000-8000-000000000000', s, 't' || s, s FROM generate_series(1, 4000) s`,
    );
    await pool.query("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (80, 4001, 41, '000000000001-7000-8000-000000000000', 1, 'same id, other sender', 1)");
    const before = (await pool.query('SELECT * FROM messages ORDER BY id')).rows;
    expect(await migratePostgres(pool, 9)).toEqual([8, 9]);
    expect((await pool.query('SELECT * FROM messages ORDER BY id')).rows).toEqual(before);
    const { rows } = await pool.query<{ name: string; def: string }>("SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'messages' ORDER BY 1");
    expect(rows.map((r) => r.def)).toEqual(expect.arrayContaining([expect.stringMatching(/UNIQUE INDEX messages_client_msg_id_sender_id_key ON public.messages USING btree \(client_msg_id, sender_id\)/)]));
    expect(rows.map((r) => r.name)).not.toContain('messages_sender_id_client_msg_id_key');
    await pool.query('ANALYZE messages');
    const plan = (await pool.query<{ 'QUERY PLAN': string }>('EXPLAIN SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2', [7, '000000000007-7000-8000-000000000000'])).rows;
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using messages_client_msg_id_sender_id_key/);
    await expect(pool.query("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (80, 4002, 7, '000000000007-7000-8000-000000000000', 1, 'again', 1)")).rejects.toThrow(/duplicate key/);
    await pool.query('DELETE FROM messages; DELETE FROM conversations');
  });

  it('10: sequences come from the logs; the counters go, every event and message stays', async () => {
    await pool.query("INSERT INTO conversations (id, kind, user_lo, user_hi, seq_head) VALUES (90, 1, 1, 2, 3), (91, 2, NULL, NULL, 0)");
    await pool.query(
      `INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq)
       VALUES (90, 1, 1, 'a', 1, 'x', 1), (90, 2, 2, 'b', 1, 'y', 1), (90, 3, 1, 'c', 1, 'z', 2)`,
    );
    await pool.query('INSERT INTO events (user_id, seq, domain, ref) VALUES (1, 1, 1, 1), (1, 2, 1, 2), (1, 3, 1, 3), (2, 1, 1, 1), (2, 2, 1, 2), (2, 3, 2, 0)');
    await pool.query('INSERT INTO user_seqs (user_id, head) VALUES (1, 3), (2, 3)');
    const events = (await pool.query('SELECT * FROM events ORDER BY user_id, seq')).rows;
    const messages = (await pool.query('SELECT * FROM messages ORDER BY id')).rows;
    expect(await migratePostgres(pool, 10)).toEqual([10]);
    expect(await tables(pool)).not.toContain('user_seqs');
    expect((await pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'conversations' AND column_name = 'seq_head'")).rows).toEqual([]);
    expect((await pool.query('SELECT * FROM events ORDER BY user_id, seq')).rows).toEqual(events);
    expect((await pool.query('SELECT * FROM messages ORDER BY id')).rows).toEqual(messages);
    expect((await pool.query('SELECT id FROM conversations ORDER BY id')).rows).toEqual([{ id: '90' }, { id: '91' }]);
    await pool.query('DELETE FROM events; DELETE FROM messages; DELETE FROM conversations');
  });

  it('10: refuses, changing nothing, where a counter is ahead of its log (dropping it would hand a number out twice)', async () => {
    const behind = await freshPool();
    await migratePostgres(behind, 9);
    await behind.query('INSERT INTO events (user_id, seq, domain, ref) VALUES (5, 1, 1, 0), (5, 2, 1, 0)');
    await behind.query('INSERT INTO user_seqs (user_id, head) VALUES (5, 3)');
    await expect(migratePostgres(behind)).rejects.toThrow(/sequence counters ahead of their logs \(user 5: counter 3, events up to 2\)/);
    expect((await behind.query('SELECT max(version) AS v FROM schema_migrations')).rows).toEqual([{ v: 9 }]);
    expect((await behind.query('SELECT head FROM user_seqs')).rows).toEqual([{ head: '3' }]);
    await behind.query('UPDATE user_seqs SET head = 2');
    await behind.query("INSERT INTO conversations (id, kind, group_id, seq_head) VALUES (9, 2, 9, 1)");
    await expect(migratePostgres(behind)).rejects.toThrow(/conversation 9: counter 1, messages up to 0/);
  });

  it('is idempotent and refuses a database from a newer server', async () => {
    expect(await migratePostgres(pool)).toEqual(postgresMigrations.map((m) => m.version).filter((v) => v > 10));
    expect(await migratePostgres(pool)).toEqual([]);
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')", [latestPostgresVersion + 1]);
    await expect(migratePostgres(pool)).rejects.toThrow(/newer than this server/);
  });

  it('servers starting together: one applies each migration, the others wait and apply nothing', async () => {
    const shared = await freshPool();
    const others = [shared, ...(await Promise.all([1, 2].map(() => new pg.Pool({ connectionString: (shared.options as { connectionString: string }).connectionString, max: 2 }))))];
    pools.push(...others.slice(1));
    const results = await Promise.all(others.map((p) => migratePostgres(p)));
    expect(results.flat().sort((a, b) => a - b)).toEqual(postgresMigrations.map((m) => m.version));
    const { rows } = await shared.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0]).toEqual({ n: postgresMigrations.length });
  });
});
