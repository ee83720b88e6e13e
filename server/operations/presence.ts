/** Presence bookkeeping: last_seen, and who may see whose presence. */
import { FriendState } from '../../shared/protocol';
import type { Caller } from '../services/deps';
import { isFriend } from './access';
import { readOperation, writeOperation } from './operation';

/** The user's last device went: remember when; returns their friends (to tell the online ones). */
export const wentOffline = writeOperation('presence.wentOffline', async ({ tx, now }, userId: number) => {
  await tx.users.setLastSeen(userId, now);
  return tx.friends.ids(userId, FriendState.FRIEND);
});

export const friendIds = readOperation('presence.friendIds', ({ tx }, userId: number) => tx.friends.ids(userId, FriendState.FRIEND));

/** Of `userIds`, those the caller may see (self, friends, co-members), with their last_seen. */
export const visiblePresence = readOperation('presence.visible', async ({ tx }, a: { caller: Caller; userIds: number[] }) => {
  const out: Array<{ userId: number; lastSeen: number }> = [];
  for (const id of a.userIds) {
    if (id !== a.caller.userId && !(await isFriend(tx, a.caller.userId, id)) && !(await tx.groups.areCoMembers(a.caller.userId, id))) continue;
    const user = await tx.users.byId(id);
    if (user) out.push({ userId: id, lastSeen: user.last_seen });
  }
  return out;
});
