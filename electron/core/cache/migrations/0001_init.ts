/**
 * 0001: the initial schema.
 *
 * messages.sort_key orders a conversation with one index: an acked message
 * sorts by its conv seq; a pending/failed one by PENDING_SORT_BASE + rowid,
 * i.e. after every acked message, in creation order. markAcked rewrites it.
 *
 * messages_fts is contentless (the text lives in `messages`): its rowid is
 * messages.rowid, `body` holds the text pre-segmented for CJK (see
 * ../segment.ts) and `conv` a one-token conversation id (`u12`, `g7`) so a
 * search restricted to a conversation is an index intersection, not a scan.
 * contentless_delete=1 lets recalls and deletes remove rows. Prefix
 * indexes: 1 character (a single CJK character, see ../segment.ts) and 3
 * (the typical English search-as-you-type prefix: "the"* is one doclist
 * instead of a merge of every term starting with it; measured 116 -> 31 ms
 * at 1M messages for +18% index size). Not 2: for CJK bigrams it would
 * duplicate every token.
 */
import type { Migration } from './types';

export const migration0001: Migration = {
  version: 1,
  name: 'init',
  up(db) {
    db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE sync_cursors (
        domain INTEGER PRIMARY KEY,
        seq    INTEGER NOT NULL
      );

      CREATE TABLE profiles (
        user_id    INTEGER PRIMARY KEY,
        username   TEXT NOT NULL,
        nickname   TEXT NOT NULL,
        avatar     TEXT NOT NULL,
        signature  TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE friends (
        user_id INTEGER PRIMARY KEY,
        state   TEXT NOT NULL CHECK (state IN ('friend', 'removed', 'blocked')),
        since   INTEGER NOT NULL,
        seq     INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE friend_requests (
        id           INTEGER PRIMARY KEY,
        from_user_id INTEGER NOT NULL,
        to_user_id   INTEGER NOT NULL,
        message      TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'declined')),
        created_at   INTEGER NOT NULL,
        seq          INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE chat_groups (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        owner_id     INTEGER NOT NULL,
        member_count INTEGER NOT NULL,
        my_role      TEXT CHECK (my_role IN ('owner', 'admin', 'member')),
        dissolved    INTEGER NOT NULL DEFAULT 0,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        seq          INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE group_members (
        group_id  INTEGER NOT NULL,
        user_id   INTEGER NOT NULL,
        role      TEXT CHECK (role IN ('owner', 'admin', 'member')), -- NULL: left or removed (row kept for its seq)
        joined_at INTEGER NOT NULL,
        seq       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (group_id, user_id)
      ) WITHOUT ROWID;

      CREATE TABLE conversations (
        key                TEXT PRIMARY KEY,
        type               TEXT NOT NULL CHECK (type IN ('direct', 'group')),
        target_id          INTEGER NOT NULL,
        read_seq           INTEGER NOT NULL DEFAULT 0,
        unread             INTEGER NOT NULL DEFAULT 0,
        mentioned          INTEGER NOT NULL DEFAULT 0,
        draft              TEXT NOT NULL DEFAULT '',
        pinned             INTEGER NOT NULL DEFAULT 0,
        muted              INTEGER NOT NULL DEFAULT 0,
        updated_at         INTEGER NOT NULL DEFAULT 0,
        last_msg_rowid     INTEGER,
        peer_delivered_seq INTEGER NOT NULL DEFAULT 0,
        peer_read_seq      INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE INDEX conversations_order ON conversations (pinned DESC, updated_at DESC, key);

      CREATE TABLE messages (
        rowid         INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        conv          TEXT NOT NULL REFERENCES conversations (key) ON DELETE CASCADE,
        sort_key      INTEGER NOT NULL,
        server_id     INTEGER UNIQUE,
        conv_seq      INTEGER,
        sender_id     INTEGER NOT NULL,
        client_msg_id TEXT NOT NULL,
        outgoing      INTEGER NOT NULL,
        text          TEXT NOT NULL,
        mentions      TEXT NOT NULL DEFAULT '[]',
        mentions_me   INTEGER NOT NULL DEFAULT 0,
        reply_to_id   INTEGER NOT NULL DEFAULT 0,
        reply_preview TEXT,
        sent_at       INTEGER NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
        recalled      INTEGER NOT NULL DEFAULT 0,
        error         TEXT
      );
      CREATE INDEX messages_page ON messages (conv, sort_key);
      CREATE UNIQUE INDEX messages_client_id ON messages (sender_id, client_msg_id) WHERE client_msg_id <> '';

      -- Recalls of messages not cached yet: applied when the message arrives.
      CREATE TABLE recall_tombstones (
        server_id INTEGER PRIMARY KEY,
        conv      TEXT NOT NULL
      );

      CREATE TABLE outbox (
        client_msg_id   TEXT PRIMARY KEY,
        conv            TEXT NOT NULL,
        payload         TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('queued', 'inflight', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        last_error      TEXT
      ) WITHOUT ROWID;
      CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

      CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, conv,
        content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '1 3'
      );
    `);
  },
};
