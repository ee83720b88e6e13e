/**
 * Message actions: the time of a message's last edit (0 = never edited), and
 * its reactions as the server last described them (JSON
 * `[{ "emoji": "👍", "userIds": [2, 5] }]`, in order of first use) with the
 * version of that description, so an older snapshot never replaces a newer one.
 */
import type { Migration } from './types';

export const migration0004: Migration = {
  version: 4,
  name: 'message edits and reactions',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN edited_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN reactions TEXT;
      ALTER TABLE messages ADD COLUMN reaction_rev INTEGER NOT NULL DEFAULT 0;
    `);
  },
};
