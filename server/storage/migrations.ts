/**
 * Numbered schema migrations. `PRAGMA user_version` records the last one
 * applied; each runs in its own transaction, so a crash leaves the database
 * at a migration boundary (runner: shared/node/sqlite/migrate.ts). Append new
 * migrations; never edit shipped ones.
 */
import type { Database } from 'better-sqlite3';
import { runMigrations, type Migration } from '../../shared/node/sqlite/migrate';

export type { Migration };

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up(db) {
      db.exec(`
        CREATE TABLE users (
          id INTEGER PRIMARY KEY,
          username TEXT NOT NULL UNIQUE,
          password_hash TEXT NOT NULL,
          nickname TEXT NOT NULL,
          avatar TEXT NOT NULL DEFAULT '',
          signature TEXT NOT NULL DEFAULT '',
          disabled INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          -- the user's sync sequence head, bumped inside the transaction that writes each event
          seq_head INTEGER NOT NULL DEFAULT 0,
          last_seen INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE devices (
          user_id INTEGER NOT NULL REFERENCES users(id),
          device_id TEXT NOT NULL,
          device_name TEXT NOT NULL,
          token_hash BLOB,
          created_at INTEGER NOT NULL,
          last_login INTEGER NOT NULL,
          PRIMARY KEY (user_id, device_id)
        ) WITHOUT ROWID;
        -- Per-user sync log. A message event references the message (ref), so a
        -- group message is stored once; every other event stores its SyncEvent body.
        CREATE TABLE events (
          user_id INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          domain INTEGER NOT NULL,
          ref INTEGER NOT NULL DEFAULT 0,
          body BLOB,
          PRIMARY KEY (user_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE conversations (
          id INTEGER PRIMARY KEY,
          kind INTEGER NOT NULL, -- 1 direct, 2 group
          user_lo INTEGER,
          user_hi INTEGER,
          group_id INTEGER UNIQUE,
          seq_head INTEGER NOT NULL DEFAULT 0,
          UNIQUE (user_lo, user_hi)
        );
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY,
          conv_id INTEGER NOT NULL REFERENCES conversations(id),
          conv_seq INTEGER NOT NULL,
          sender_id INTEGER NOT NULL,
          client_msg_id TEXT NOT NULL,
          sent_at INTEGER NOT NULL,
          text TEXT NOT NULL,
          mentions TEXT NOT NULL DEFAULT '',
          reply_to INTEGER NOT NULL DEFAULT 0,
          sender_seq INTEGER NOT NULL,
          recalled_by INTEGER NOT NULL DEFAULT 0,
          UNIQUE (sender_id, client_msg_id),
          UNIQUE (conv_id, conv_seq)
        );
        CREATE TABLE read_state (
          conv_id INTEGER NOT NULL,
          user_id INTEGER NOT NULL,
          delivered_seq INTEGER NOT NULL DEFAULT 0,
          read_seq INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (conv_id, user_id)
        ) WITHOUT ROWID;
        CREATE TABLE friend_requests (
          id INTEGER PRIMARY KEY,
          from_id INTEGER NOT NULL,
          to_id INTEGER NOT NULL,
          message TEXT NOT NULL,
          state INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX friend_requests_pair ON friend_requests (from_id, to_id, state);
        -- One row per direction: (user_id's view of friend_id).
        CREATE TABLE friends (
          user_id INTEGER NOT NULL,
          friend_id INTEGER NOT NULL,
          state INTEGER NOT NULL,
          since INTEGER NOT NULL,
          PRIMARY KEY (user_id, friend_id)
        ) WITHOUT ROWID;
        CREATE TABLE groups (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          owner_id INTEGER NOT NULL,
          member_count INTEGER NOT NULL,
          dissolved INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE TABLE group_members (
          group_id INTEGER NOT NULL,
          user_id INTEGER NOT NULL,
          role INTEGER NOT NULL,
          joined_at INTEGER NOT NULL,
          PRIMARY KEY (group_id, user_id)
        ) WITHOUT ROWID;
        CREATE INDEX group_members_user ON group_members (user_id, group_id);
      `);
    },
  },
  {
    version: 2,
    name: 'per-domain sync index',
    up(db) {
      // A client syncing one domain at a time scans only that domain's events.
      db.exec('CREATE INDEX events_domain ON events (user_id, domain, seq)');
    },
  },
  {
    version: 3,
    name: 'sequences from the logs, not counter columns',
    up(db) {
      // Sequences are now max(seq) + 1 of the events / messages themselves, taken inside the
      // writing transaction: as safe under the single writer, and it saves rewriting the wide
      // users row on every event. The counter columns go.
      db.exec('ALTER TABLE users DROP COLUMN seq_head');
      db.exec('ALTER TABLE conversations DROP COLUMN seq_head');
    },
  },
  {
    version: 4,
    name: 'attachment blobs and the messages that refer to them',
    up(db) {
      // A blob is ciphertext addressed by its SHA-256; message_blobs says which messages carry it
      // (download access, and cleanup of blobs no message refers to any more).
      db.exec(`
        CREATE TABLE blobs (
          digest TEXT PRIMARY KEY,
          size INTEGER NOT NULL,
          uploader_id INTEGER NOT NULL,
          created_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX blobs_uploader ON blobs (uploader_id);
        CREATE INDEX blobs_created ON blobs (created_at);
        CREATE TABLE message_blobs (
          digest TEXT NOT NULL,
          msg_id INTEGER NOT NULL,
          PRIMARY KEY (digest, msg_id)
        ) WITHOUT ROWID;
        CREATE INDEX message_blobs_msg ON message_blobs (msg_id);
        -- The message's attachments as sent (a Message protobuf with only 'attachments' set); NULL for text.
        ALTER TABLE messages ADD COLUMN attachments BLOB;
      `);
    },
  },
  {
    version: 5,
    name: 'index events by domain only outside the messages domain',
    up(db) {
      // Message events are nearly every event, and every sync that asks for them reads the primary key
      // (user_id, seq) anyway: indexing them by domain too wrote a second B-tree page per event for nothing.
      // The other domains (friends, profiles, groups, members) stay indexed for per-domain syncs.
      db.exec('DROP INDEX events_domain');
      db.exec('CREATE INDEX events_other_domains ON events (user_id, domain, seq) WHERE domain <> 1');
    },
  },
  {
    version: 6,
    name: 'message edits and reactions',
    up(db) {
      // A reaction is a small row keyed by the message; reaction_rev orders the MessageReactions
      // snapshots a client may receive out of order (push, then an older page of a pull).
      db.exec(`
        ALTER TABLE messages ADD COLUMN edited_at INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN reaction_rev INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE reactions (
          msg_id INTEGER NOT NULL,
          user_id INTEGER NOT NULL,
          emoji TEXT NOT NULL,
          at INTEGER NOT NULL,
          PRIMARY KEY (msg_id, user_id, emoji)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 7,
    name: 'devices list, conversation settings and last-seen privacy',
    up(db) {
      // Settings a user shares across their devices (pin, mute, marked unread) live here, keyed by the
      // conversation as the user names it; their changes are SETTINGS-domain sync events.
      db.exec(`
        ALTER TABLE devices ADD COLUMN platform TEXT NOT NULL DEFAULT '';
        ALTER TABLE devices ADD COLUMN last_active INTEGER NOT NULL DEFAULT 0;
        UPDATE devices SET last_active = last_login;
        ALTER TABLE users ADD COLUMN last_seen_privacy INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE conversation_settings (
          user_id INTEGER NOT NULL,
          conv_type INTEGER NOT NULL,
          target_id INTEGER NOT NULL,
          pinned INTEGER NOT NULL DEFAULT 0,
          muted_until INTEGER NOT NULL DEFAULT 0,
          marked_unread INTEGER NOT NULL DEFAULT 0,
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (user_id, conv_type, target_id)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 8,
    name: 'de-duplication key led by the client id',
    up(db) {
      // The send's de-duplication key was UNIQUE (sender_id, client_msg_id): every batch of sends dirtied
      // one leaf page of that index per sender (each sender's ids sit in their own range), written to the
      // WAL at each commit. Clients use time-ordered ids (UUIDv7), so with the client id first new keys land
      // at the end of the index, on a few pages for the whole batch (about 7 µs less per send on the SQLite
      // thread, measured; the lookup, both columns by equality, uses the index either way). A UNIQUE
      // constraint's index cannot be dropped, so the table is rebuilt (same columns, same order, same ids).
      db.exec(`
        CREATE TABLE messages_new (
          id INTEGER PRIMARY KEY,
          conv_id INTEGER NOT NULL REFERENCES conversations(id),
          conv_seq INTEGER NOT NULL,
          sender_id INTEGER NOT NULL,
          client_msg_id TEXT NOT NULL,
          sent_at INTEGER NOT NULL,
          text TEXT NOT NULL,
          mentions TEXT NOT NULL DEFAULT '',
          reply_to INTEGER NOT NULL DEFAULT 0,
          sender_seq INTEGER NOT NULL,
          recalled_by INTEGER NOT NULL DEFAULT 0,
          attachments BLOB,
          edited_at INTEGER NOT NULL DEFAULT 0,
          reaction_rev INTEGER NOT NULL DEFAULT 0,
          UNIQUE (client_msg_id, sender_id),
          UNIQUE (conv_id, conv_seq)
        );
        INSERT INTO messages_new SELECT id, conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, mentions, reply_to, sender_seq,
          recalled_by, attachments, edited_at, reaction_rev FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_new RENAME TO messages;
      `);
    },
  },
];

export const latestVersion = migrations[migrations.length - 1]!.version;

/** Applies every migration above the database's version; returns the versions applied. */
export function migrate(db: Database, upTo = latestVersion): number[] {
  return runMigrations(db, migrations, upTo, (found) => new Error(`database schema version ${found} is newer than this server (${latestVersion}); upgrade the server`));
}
