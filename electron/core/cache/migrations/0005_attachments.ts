/**
 * 0005: attachments (issue 12).
 *
 * messages.attachments holds a message's files as JSON (what the message
 * says of each: kind, sanitised name, type, size, picture size, ThumbHash,
 * and the blob references with their keys; see ../../attachments/stored.ts),
 * NULL for a message without files. A message is written once and its files
 * never change (a recall clears them), so they live with it: a page of
 * history reads no other table. The partial index lists a conversation's
 * media and files newest first without touching text messages.
 *
 * local_files: the encrypted files on this device, named by digest
 * (`files/ab/<digest>`): downloads (complete, or a verified prefix of
 * `have` bytes to resume from) and the sender's own uploads (`pinned` until
 * the server acknowledged the message, so eviction never takes a file that
 * still has to be sent). The LRU index covers what eviction may take.
 * `exported` remembers the decrypted copy last written for "open" / "show in
 * folder", so opening the same file twice reuses it.
 */
import type { Migration } from './types';

export const migration0005: Migration = {
  version: 5,
  name: 'attachments',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN attachments TEXT;
      CREATE INDEX messages_media ON messages (conv, sort_key) WHERE attachments IS NOT NULL;

      CREATE TABLE local_files (
        digest       TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        have         INTEGER NOT NULL DEFAULT 0,
        pinned       INTEGER NOT NULL DEFAULT 0,
        last_used_at INTEGER NOT NULL,
        exported     TEXT
      ) WITHOUT ROWID;
      CREATE INDEX local_files_lru ON local_files (last_used_at) WHERE pinned = 0 AND have = size;
    `);
  },
};
