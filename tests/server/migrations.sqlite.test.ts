// Each numbered migration, applied one at a time to a real SQLite file, and the pragmas the server relies on.
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, WAL_AUTOCHECKPOINT_PAGES } from '../../server/storage/db';
import { latestVersion, migrate, migrations } from '../../server/storage/migrations';
import { readOperation, writeOperation } from '../../server/operations/operation';
import { SqliteStore } from '../../server/storage/sqlite-store';
import { removeDir, tempDir } from './helpers/server';

const dir = tempDir();
afterAll(() => removeDir(dir));

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);
}

describe('migrations', () => {
  it('are numbered 1..n without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(latestVersion).toBe(migrations.length);
  });

  it('1: creates the schema on an empty database', () => {
    const db = new Database(join(dir, 'm1.db'));
    expect(migrate(db, 1)).toEqual([1]);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(tables(db)).toEqual(expect.arrayContaining(['users', 'devices', 'events', 'conversations', 'messages', 'read_state', 'friend_requests', 'friends', 'groups', 'group_members']));
    expect(tables(db)).not.toContain('events_domain');
    db.close();
  });

  it('2: adds the per-domain sync index and keeps existing rows', () => {
    const db = new Database(join(dir, 'm2.db'));
    migrate(db, 1);
    db.prepare("INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ('u', 'h', 'n', 1, 1)").run();
    db.prepare('INSERT INTO events (user_id, seq, domain, ref, body) VALUES (1, 1, 2, 0, NULL)').run();
    expect(migrate(db, 2)).toEqual([2]);
    expect(tables(db)).toContain('events_domain');
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    const columns = (db.prepare("SELECT name FROM pragma_index_info('events_domain')").pluck().all() as string[]);
    expect(columns).toEqual(['user_id', 'domain', 'seq']);
    db.close();
  });

  it('3: drops the counter columns; sequences continue from the stored events and messages', async () => {
    const db = new Database(join(dir, 'm3a.db'));
    migrate(db, 2);
    db.prepare("INSERT INTO users (username, password_hash, nickname, created_at, updated_at, seq_head) VALUES ('u', 'h', 'n', 1, 1, 2)").run();
    db.prepare('INSERT INTO events (user_id, seq, domain, ref, body) VALUES (1, 1, 2, 0, NULL), (1, 2, 1, 0, NULL)').run();
    db.prepare('INSERT INTO conversations (kind, group_id, seq_head) VALUES (2, 7, 1)').run();
    db.prepare("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (1, 1, 1, 'c', 1, 't', 2)").run();
    expect(migrate(db, 3)).toEqual([3]);
    const columns = (table: string) => db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];
    expect(columns('users')).not.toContain('seq_head');
    expect(columns('conversations')).not.toContain('seq_head');
    db.close();
    const store = SqliteStore.open(join(dir, 'm3a.db'), { durability: 'off' });
    const probe = writeOperation('test.sequences', async ({ tx }, _: null) => ({
      head: await tx.sequences.head(1),
      next: (await tx.sequences.allocate([[1, 1]]))[0],
      convHead: await tx.conversations.seqHead(1),
      convNext: await tx.conversations.nextSeq(1),
    }));
    expect((await store.write(probe, null, 1)).value).toEqual({ head: 2, next: 3, convHead: 1, convNext: 2 });
    await store.close();
  });

  it('4: adds blob records and message references; existing messages have no attachments', () => {
    const db = new Database(join(dir, 'm4.db'));
    migrate(db, 3);
    db.prepare("INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ('u', 'h', 'n', 1, 1)").run();
    db.prepare('INSERT INTO conversations (kind, user_lo, user_hi) VALUES (1, 1, 2)').run();
    db.prepare("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (1, 1, 1, 'c', 1, 't', 1)").run();
    expect(migrate(db, 4)).toEqual([4]);
    expect(db.prepare('SELECT attachments FROM messages').pluck().get()).toBeNull();
    db.prepare("INSERT INTO blobs (digest, size, uploader_id, created_at) VALUES ('ab', 48, 1, 5)").run();
    db.prepare("INSERT INTO message_blobs (digest, msg_id) VALUES ('ab', 1)").run();
    expect(() => db.prepare("INSERT INTO blobs (digest, size, uploader_id, created_at) VALUES ('ab', 1, 1, 1)").run()).toThrow(/UNIQUE/);
    db.close();
  });

  it('5: per-domain index only outside the messages domain; the sync queries use the primary key or that index', async () => {
    const db = new Database(join(dir, 'm5.db'));
    migrate(db, 4);
    db.prepare("INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ('u', 'h', 'n', 1, 1)").run();
    db.prepare('INSERT INTO events (user_id, seq, domain, ref, body) VALUES (1, 1, 1, 0, NULL), (1, 2, 2, 0, NULL), (1, 3, 1, 0, NULL)').run();
    expect(migrate(db, 5)).toEqual([5]);
    expect(tables(db)).not.toContain('events_domain');
    expect(tables(db)).toContain('events_other_domains');
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events_other_domains'").pluck().get()).toMatch(/WHERE domain <> 1$/);
    db.close();
    // The store's own queries: which index answers each kind of sync.
    const store = SqliteStore.open(join(dir, 'm5.db'), { durability: 'off' });
    // The per-domain statements are prepared on first use: catch their SQL to ask SQLite for its plan.
    const prepared: string[] = [];
    const prepare = store.db.prepare.bind(store.db);
    store.db.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof store.db.prepare;
    const list = readOperation('test.list', async ({ tx }, domains: number[]) => (await tx.events.list(1, 0, 10, domains)).map((e) => e.seq));
    expect(await store.read(list, [], 0)).toEqual([1, 2, 3]);
    expect(await store.read(list, [1], 0)).toEqual([1, 3]);
    expect(await store.read(list, [2], 0)).toEqual([2]);
    expect(await store.read(list, [2, 3, 4, 5], 0)).toEqual([2]);
    const plan = (sql: string, params: unknown[]) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    const [messagesOnly, otherDomain] = prepared;
    // No ANALYZE statistics here, as in a server: the statement for other domains names its index.
    expect(plan(otherDomain!, [1, 0, 2, 10])).toMatch(/USING INDEX events_other_domains \(user_id=\? AND domain=\? AND seq>\?\)/);
    expect(plan(messagesOnly!, [1, 0, 1, 10])).toMatch(/USING PRIMARY KEY \(user_id=\? AND seq>\?\)/);
    await store.close();
  });

  it('6: adds edit times and reactions; existing messages are unedited and have none', () => {
    const db = new Database(join(dir, 'm6.db'));
    migrate(db, 5);
    db.prepare('INSERT INTO conversations (kind, user_lo, user_hi) VALUES (1, 1, 2)').run();
    db.prepare("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (1, 1, 1, 'c', 1, 't', 1)").run();
    expect(migrate(db, 6)).toEqual([6]);
    expect(db.prepare('SELECT edited_at, reaction_rev FROM messages').get()).toEqual({ edited_at: 0, reaction_rev: 0 });
    db.prepare("INSERT INTO reactions (msg_id, user_id, emoji, at) VALUES (1, 2, '👍', 5)").run();
    expect(() => db.prepare("INSERT INTO reactions (msg_id, user_id, emoji, at) VALUES (1, 2, '👍', 6)").run()).toThrow(/UNIQUE|PRIMARY/);
    db.close();
  });

  it('7: devices get a platform and a last-active time (their last login), users a last-seen setting, and conversation settings a table', () => {
    const db = new Database(join(dir, 'm7.db'));
    migrate(db, 6);
    db.prepare("INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ('u', 'h', 'n', 1, 1)").run();
    db.prepare("INSERT INTO devices (user_id, device_id, device_name, token_hash, created_at, last_login) VALUES (1, 'd', 'laptop', x'01', 1, 42)").run();
    expect(migrate(db, 7)).toEqual([7]);
    expect(db.prepare('SELECT platform, last_active FROM devices').get()).toEqual({ platform: '', last_active: 42 });
    expect(db.prepare('SELECT last_seen_privacy FROM users').get()).toEqual({ last_seen_privacy: 0 });
    db.prepare('INSERT INTO conversation_settings (user_id, conv_type, target_id, pinned, updated_at) VALUES (1, 1, 2, 1, 5)').run();
    expect(() => db.prepare('INSERT INTO conversation_settings (user_id, conv_type, target_id, updated_at) VALUES (1, 1, 2, 6)').run()).toThrow(/UNIQUE|PRIMARY/);
    expect(db.prepare('SELECT muted_until, marked_unread FROM conversation_settings').get()).toEqual({ muted_until: 0, marked_unread: 0 });
    db.close();
  });

  it('8: the de-duplication key leads with the client id; rows, ids and the other key stay; the lookup uses it', () => {
    const db = new Database(join(dir, 'm8.db'));
    migrate(db, 7);
    db.prepare('INSERT INTO conversations (kind, user_lo, user_hi) VALUES (1, 1, 2)').run();
    db.prepare("INSERT INTO messages (id, conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq, recalled_by, attachments, edited_at, reaction_rev) VALUES (7, 1, 1, 1, 'c1', 5, 'hi', 3, 0, x'0a00', 9, 2)").run();
    const before = db.prepare('SELECT * FROM messages').all();
    expect(migrate(db, 8)).toEqual([8]);
    expect(db.prepare('SELECT * FROM messages').all()).toEqual(before);
    const uniques = db.prepare("SELECT il.name, group_concat(ii.name, ',') AS cols FROM pragma_index_list('messages') il, pragma_index_info(il.name) ii WHERE il.[unique] = 1 GROUP BY il.name ORDER BY cols").all() as Array<{ cols: string }>;
    expect(uniques.map((u) => u.cols)).toEqual(['client_msg_id,sender_id', 'conv_id,conv_seq']);
    expect(() => db.prepare("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (1, 2, 1, 'c1', 6, 'again', 4)").run()).toThrow(/UNIQUE/);
    db.prepare("INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, sender_seq) VALUES (1, 2, 2, 'c1', 6, 'same id, other sender', 4)").run();
    const plan = (db.prepare('EXPLAIN QUERY PLAN SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?').all(1, 'c1') as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan).toMatch(/USING INDEX sqlite_autoindex_messages_\d \((client_msg_id|sender_id)=\? AND (sender_id|client_msg_id)=\?\)/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('is idempotent and refuses a database from a newer server', () => {
    const db = new Database(join(dir, 'm3.db'));
    expect(migrate(db)).toEqual(migrations.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    db.pragma(`user_version = ${latestVersion + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this server/);
    db.close();
  });

  it('openDatabase sets WAL and synchronous=FULL', () => {
    const db = openDatabase(join(dir, 'open.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL (the default of openDatabase; the server passes NORMAL with group-fsync)
    expect(db.pragma('user_version', { simple: true })).toBe(latestVersion);
    db.close();
  });

  it('openDatabase lets the WAL reach WAL_AUTOCHECKPOINT_PAGES before a commit checkpoints it (not SQLite\'s 1,000)', () => {
    const db = openDatabase(join(dir, 'wal.db'), { synchronous: 'NORMAL' });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_AUTOCHECKPOINT_PAGES);
    db.exec('CREATE TABLE filler (b BLOB)');
    const insert = db.prepare('INSERT INTO filler (b) VALUES (?)');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // Six commits of ~500 pages: with checkpoints every 1,000 pages the WAL would restart from its start and
    // stay under ~1,500 pages; without one it holds all ~3,000.
    for (let c = 0; c < 6; c++) db.transaction(() => { for (let i = 0; i < 500; i++) insert.run(Buffer.alloc(pageSize - 100, c)); })();
    expect(statSync(join(dir, 'wal.db-wal')).size / pageSize).toBeGreaterThan(2_900);
    db.close();
  });
});
