/** Conversions from wire shapes (protobuf enums, bigint ids) to the cache's and the UI's vocabulary. */
import type { ConversationKey, FriendRequestView, FriendState as ViewFriendState, GroupRole as ViewGroupRole, Profile } from '../../../shared/ipc';
import { ConversationType, FriendRequestState, FriendState, GroupRole } from '../../../shared/protocol';
import type { WireConversationRef, WireProfile } from './api';

import { num } from '../ids';

export { num };

/** `u:<id>` / `g:<id>`; undefined for a missing or unspecified ref. */
export function keyOfRef(ref: WireConversationRef | undefined): ConversationKey | undefined {
  if (!ref) return undefined;
  const id = num(ref.id);
  if (!Number.isSafeInteger(id) || id <= 0) return undefined;
  switch (ref.type) {
    case ConversationType.DIRECT:
      return `u:${id}`;
    case ConversationType.GROUP:
      return `g:${id}`;
    default:
      return undefined;
  }
}

/** The one-token form of a key used in the search index (`u:12` -> `u12`). */
export function ftsConvToken(key: ConversationKey): string {
  return key.replace(':', '');
}

export function profileFromWire(p: WireProfile): Profile {
  return { userId: num(p.userId), username: p.username, nickname: p.nickname, avatar: p.avatar, signature: p.signature };
}

export function friendStateFromWire(s: FriendState): ViewFriendState | undefined {
  switch (s) {
    case FriendState.FRIEND:
      return 'friend';
    case FriendState.REMOVED:
      return 'removed';
    case FriendState.BLOCKED:
      return 'blocked';
    default:
      return undefined;
  }
}

export function requestStateFromWire(s: FriendRequestState): FriendRequestView['state'] | undefined {
  switch (s) {
    case FriendRequestState.PENDING:
      return 'pending';
    case FriendRequestState.ACCEPTED:
      return 'accepted';
    case FriendRequestState.DECLINED:
      return 'declined';
    default:
      return undefined;
  }
}

export function roleFromWire(r: GroupRole): ViewGroupRole | undefined {
  switch (r) {
    case GroupRole.OWNER:
      return 'owner';
    case GroupRole.ADMIN:
      return 'admin';
    case GroupRole.MEMBER:
      return 'member';
    default:
      return undefined;
  }
}
