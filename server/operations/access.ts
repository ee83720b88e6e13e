/** Relationship checks used for permissions and visibility, inside an operation. */
import { FriendState, ResultCode } from '../../shared/protocol';
import type { Tx, UserRow } from '../storage/store';
import { fail } from '../services/errors';

export async function isFriend(tx: Tx, a: number, b: number): Promise<boolean> {
  return (await tx.friends.get(a, b))?.state === FriendState.FRIEND;
}

export async function blockedBetween(tx: Tx, a: number, b: number): Promise<boolean> {
  return (await tx.friends.get(a, b))?.state === FriendState.BLOCKED || (await tx.friends.get(b, a))?.state === FriendState.BLOCKED;
}

/** Self, friends, group co-members, and both ends of an open friend request. */
export async function canSeeProfile(tx: Tx, viewer: number, target: number): Promise<boolean> {
  return (
    viewer === target ||
    (await isFriend(tx, viewer, target)) ||
    (await tx.groups.areCoMembers(viewer, target)) ||
    (await tx.friends.pendingBetween(viewer, target)) !== undefined
  );
}

export async function requireUser(tx: Tx, id: number): Promise<UserRow> {
  const user = await tx.users.byId(id);
  if (!user) throw fail(ResultCode.NOT_FOUND, 'no such user');
  return user;
}

/** The people who see a user's profile changes: friends and co-members. */
export async function profileAudience(tx: Tx, userId: number): Promise<Set<number>> {
  const audience = new Set(await tx.friends.ids(userId, FriendState.FRIEND));
  for (const id of await tx.groups.coMemberIds(userId)) audience.add(id);
  audience.add(userId);
  return audience;
}
