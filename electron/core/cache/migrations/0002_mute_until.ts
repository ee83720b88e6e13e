import type { Migration } from './types';

/** Beyond any real date: "muted until" for a conversation muted with no end. */
export const MUTED_FOREVER = Number.MAX_SAFE_INTEGER;

/**
 * Mute with a duration, and "mark as unread".
 *
 * `muted` (0/1) becomes `muted_until` (epoch ms; 0 = not muted,
 * MUTED_FOREVER = no end): a conversation is muted while the clock is before
 * it, so it unmutes by itself without a write. A conversation muted before
 * this migration stays muted with no end. `marked_unread` is the user's own
 * "mark as unread" flag, cleared when the conversation is read.
 */
export const migration0002: Migration = {
  version: 2,
  name: 'mute-until-and-marked-unread',
  up(db) {
    db.exec(`
      ALTER TABLE conversations RENAME COLUMN muted TO muted_until;
      UPDATE conversations SET muted_until = ${MUTED_FOREVER} WHERE muted_until <> 0;
      ALTER TABLE conversations ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
    `);
  },
};
