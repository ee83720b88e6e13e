import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { latestSchemaVersion, migrate, migrations, schemaVersion, SchemaTooNewError } from '../../../electron/core/cache/migrations';
import { TempDir } from './fixtures';

const dirs: TempDir[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.dispose()));

function tempDb(): Database.Database {
  const d = new TempDir();
  dirs.push(d);
  return new Database(join(d.path, 'm.db'));
}

function tables(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
}

describe('migrations', () => {
  it('are numbered 1..n without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(latestSchemaVersion).toBe(migrations.length);
  });

  it('0001 creates the schema on an empty file and sets user_version', () => {
    const db = tempDb();
    expect(migrate(db, 1)).toEqual([1]);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual([
      'chat_groups',
      'conversations',
      'friend_requests',
      'friends',
      'group_members',
      'messages',
      'messages_fts',
      'meta',
      'outbox',
      'profiles',
      'recall_tombstones',
      'sync_cursors',
    ]);
    // The FTS table works with the tokenizer and options it declares.
    db.prepare(`INSERT INTO messages_fts (rowid, body, conv) VALUES (1, 'hello 你好 好', 'u2')`).run();
    expect(db.prepare(`SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'body : "你"*'`).all()).toEqual([{ rowid: 1 }]);
    db.prepare(`DELETE FROM messages_fts WHERE rowid = 1`).run();
    expect(db.prepare(`SELECT count(*) AS n FROM messages_fts WHERE messages_fts MATCH 'hello'`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('0001 enforces message constraints (unique client id per sender, status check, conversation FK)', () => {
    const db = tempDb();
    db.pragma('foreign_keys = ON');
    migrate(db);
    const ins = db.prepare(`INSERT INTO messages (id, conv, sort_key, sender_id, client_msg_id, outgoing, text, sent_at, status) VALUES (?, 'u:2', 1, 2, ?, 0, 'x', 0, ?)`);
    expect(() => ins.run('a', 'c1', 'sent')).toThrow(/FOREIGN KEY/);
    db.prepare(`INSERT INTO conversations (key, type, target_id) VALUES ('u:2', 'direct', 2)`).run();
    ins.run('a', 'c1', 'sent');
    expect(() => ins.run('b', 'c1', 'sent')).toThrow(/UNIQUE/);
    expect(() => ins.run('c', 'c2', 'bogus')).toThrow(/CHECK/);
    db.close();
  });

  it('0002 keeps a muted conversation muted with no end, and adds "marked unread"', () => {
    const db = tempDb();
    migrate(db, 1);
    db.prepare(`INSERT INTO conversations (key, type, target_id, muted) VALUES ('u:2', 'direct', 2, 1), ('u:3', 'direct', 3, 0)`).run();
    expect(migrate(db)).toContain(2);
    expect(db.prepare(`SELECT key, muted_until, marked_unread FROM conversations ORDER BY key`).all()).toEqual([
      { key: 'u:2', muted_until: Number.MAX_SAFE_INTEGER, marked_unread: 0 },
      { key: 'u:3', muted_until: 0, marked_unread: 0 },
    ]);
    db.close();
  });

  it('0003 adds the group action of service messages (NULL for ordinary ones)', () => {
    const db = tempDb();
    migrate(db, 2);
    db.prepare(`INSERT INTO conversations (key, type, target_id) VALUES ('g:7', 'group', 7)`).run();
    db.prepare(`INSERT INTO messages (id, conv, sort_key, sender_id, client_msg_id, outgoing, text, sent_at, status) VALUES ('a', 'g:7', 1, 2, 'c1', 0, 'x', 0, 'sent')`).run();
    expect(migrate(db)).toContain(3);
    expect(db.prepare(`SELECT group_action FROM messages`).get()).toEqual({ group_action: null });
    db.close();
  });

  it('0004 adds edit times and reactions; cached messages stay, unedited and without reactions', () => {
    const db = tempDb();
    migrate(db, 3);
    db.prepare(`INSERT INTO conversations (key, type, target_id) VALUES ('u:2', 'direct', 2)`).run();
    db.prepare(`INSERT INTO messages (id, conv, sort_key, sender_id, client_msg_id, outgoing, text, sent_at, status) VALUES ('a', 'u:2', 1, 2, 'c1', 0, 'x', 0, 'sent')`).run();
    expect(migrate(db, 4)).toEqual([4]);
    expect(db.prepare(`SELECT text, edited_at, reactions, reaction_rev FROM messages`).get()).toEqual({ text: 'x', edited_at: 0, reactions: null, reaction_rev: 0 });
    db.close();
  });

  it('0005 adds attachments to a v4 file with messages, and the table of files on this device', () => {
    const db = tempDb();
    db.pragma('foreign_keys = ON');
    migrate(db, 4);
    db.prepare(`INSERT INTO conversations (key, type, target_id) VALUES ('u:2', 'direct', 2)`).run();
    db.prepare(`INSERT INTO messages (id, conv, sort_key, sender_id, client_msg_id, outgoing, text, sent_at, status) VALUES ('m1', 'u:2', 1, 2, 'c1', 0, 'old', 0, 'sent')`).run();
    expect(migrate(db, 5)).toEqual([5]);
    expect(db.prepare(`SELECT text, attachments FROM messages`).all()).toEqual([{ text: 'old', attachments: null }]);
    expect(tables(db)).toContain('local_files');
    // The media list reads the partial index, not the whole conversation.
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT id FROM messages WHERE conv = 'u:2' AND attachments IS NOT NULL ORDER BY sort_key DESC`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('messages_media');
    db.close();
  });

  it('0006 gives conversations the sequence of their last settings from the server; local settings stay', () => {
    const db = tempDb();
    migrate(db, 5);
    db.prepare(`INSERT INTO conversations (key, type, target_id, pinned, muted_until, marked_unread) VALUES ('u:2', 'direct', 2, 1, 99, 1)`).run();
    expect(migrate(db)).toEqual([6]);
    expect(db.prepare(`SELECT pinned, muted_until, marked_unread, settings_seq FROM conversations`).get()).toEqual({ pinned: 1, muted_until: 99, marked_unread: 1, settings_seq: 0 });
    db.close();
  });

  it('is idempotent and refuses a newer schema', () => {
    const db = tempDb();
    migrate(db);
    expect(migrate(db)).toEqual([]);
    db.pragma(`user_version = ${latestSchemaVersion + 1}`);
    expect(() => migrate(db)).toThrow(SchemaTooNewError);
    db.close();
  });
});
