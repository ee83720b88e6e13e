/** Relationship checks used for permissions and visibility. */
import { FriendState, ResultCode } from '../../shared/protocol';
import type { Store, UserRow } from '../storage/store';
import { fail } from './errors';

export function isFriend(store: Store, a: number, b: number): boolean {
  return store.friends.get(a, b)?.state === FriendState.FRIEND;
}

export function blockedBetween(store: Store, a: number, b: number): boolean {
  return store.friends.get(a, b)?.state === FriendState.BLOCKED || store.friends.get(b, a)?.state === FriendState.BLOCKED;
}

/** Self, friends, group co-members, and both ends of an open friend request. */
export function canSeeProfile(store: Store, viewer: number, target: number): boolean {
  return viewer === target || isFriend(store, viewer, target) || store.groups.areCoMembers(viewer, target) || store.friends.pendingBetween(viewer, target) !== undefined;
}

export function requireUser(store: Store, id: number): UserRow {
  const user = store.users.byId(id);
  if (!user) throw fail(ResultCode.NOT_FOUND, 'no such user');
  return user;
}

/** The people who see a user's profile changes: friends and co-members. */
export function profileAudience(store: Store, userId: number): Set<number> {
  const audience = new Set(store.friends.ids(userId, FriendState.FRIEND));
  for (const id of store.groups.coMemberIds(userId)) audience.add(id);
  audience.add(userId);
  return audience;
}
