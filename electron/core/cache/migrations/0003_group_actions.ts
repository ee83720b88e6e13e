import type { Migration } from './types';

/**
 * Group service messages ("Alice added Bob"): the action as JSON
 * (`{ kind, userIds, name }`, shared/ipc GroupAction), NULL for an ordinary
 * message. Such a message has empty text and no search entry.
 */
export const migration0003: Migration = {
  version: 3,
  name: 'group-actions',
  up(db) {
    db.exec(`ALTER TABLE messages ADD COLUMN group_action TEXT`);
  },
};
