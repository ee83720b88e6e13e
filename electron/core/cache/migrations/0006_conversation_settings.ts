/**
 * 0006: conversation settings synced across the account's devices (issue 13).
 *
 * pinned, muted_until and marked_unread now also come from the server (a
 * SETTINGS-domain sync event carries a conversation's whole state after a
 * change on any device). settings_seq is the sequence of the last such event
 * applied, so an older one (a page of a pull arriving after a newer push)
 * never replaces a newer state. 0: only ever changed on this device.
 */
import type { Migration } from './types';

export const migration0006: Migration = {
  version: 6,
  name: 'conversation settings from the server',
  up(db) {
    db.exec(`ALTER TABLE conversations ADD COLUMN settings_seq INTEGER NOT NULL DEFAULT 0;`);
  },
};
