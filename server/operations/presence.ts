/** Presence bookkeeping: last_seen, and who may see whose presence. */
import { FriendState } from '../../shared/protocol';
import type { Caller } from '../services/deps';
import type { Tx } from '../storage/store';
import { isFriend } from './access';
import { readOperation, writeOperation } from './operation';
import { lastSeenVisible } from './settings';

/** A user's friends, split by whether the two last-seen settings let each one see the user's presence. */
export interface PresenceAudience {
  visible: number[];
  hidden: number[];
}

async function audienceOf(tx: Tx, userId: number): Promise<PresenceAudience> {
  const out: PresenceAudience = { visible: [], hidden: [] };
  const friends = await tx.friends.ids(userId, FriendState.FRIEND);
  // Every friend's check at once: on PostgreSQL a login's or logout's audience costs a few round trips, not two per friend.
  const visible = await Promise.all(friends.map((id) => lastSeenVisible(tx, id, userId)));
  friends.forEach((id, i) => (visible[i] ? out.visible : out.hidden).push(id));
  return out;
}

/** The user's last device went: remember when; returns their friends (to tell the online ones). */
export const wentOffline = writeOperation('presence.wentOffline', async ({ tx, now }, userId: number) => {
  await tx.users.setLastSeen(userId, now);
  return audienceOf(tx, userId);
});

export const presenceAudience = readOperation('presence.audience', ({ tx }, userId: number) => audienceOf(tx, userId));

/**
 * Of `userIds`, those the caller may see (self, friends, co-members), with
 * their last_seen, or `hidden` when a last-seen setting hides it.
 */
export const visiblePresence = readOperation('presence.visible', async ({ tx }, a: { caller: Caller; userIds: number[] }) => {
  const out: Array<{ userId: number; lastSeen: number; hidden: boolean }> = [];
  for (const id of a.userIds) {
    if (id !== a.caller.userId && !(await isFriend(tx, a.caller.userId, id)) && !(await tx.groups.areCoMembers(a.caller.userId, id))) continue;
    const user = await tx.users.byId(id);
    if (!user) continue;
    const hidden = !(await lastSeenVisible(tx, a.caller.userId, id));
    out.push({ userId: id, lastSeen: hidden ? 0 : user.last_seen, hidden });
  }
  return out;
});
