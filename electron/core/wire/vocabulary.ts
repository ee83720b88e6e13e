/**
 * Enum vocabulary at the wire edge: each mapping between a protobuf enum
 * (shared/proto) and the contract's words (shared/ipc) is written once, as
 * one table, and read both ways. `Record<View, Wire>` makes a table that
 * forgets a word of the contract a compile error; a wire value without a
 * word (UNSPECIFIED, or one added by a newer server) maps to undefined.
 */
import type { AttachmentKind, ConversationKind, FriendRequestState, FriendState, GroupActionKind, GroupRole, KickReason, LastSeenSetting, SyncPhase } from '../../../shared/ipc';
import {
  AttachmentKind as WireAttachmentKind,
  ConversationType,
  FriendRequestState as WireFriendRequestState,
  FriendState as WireFriendState,
  GroupActionKind as WireGroupActionKind,
  GroupRole as WireGroupRole,
  Kicked_Reason,
  LastSeenVisibility,
  ReceiptType,
  SyncDomain,
} from '../../../shared/protocol';

export interface EnumMapping<View extends string, WireEnum extends number> {
  toWire(value: View): WireEnum;
  fromWire(value: number): View | undefined;
  /** The view words, in the table's order. */
  readonly words: readonly View[];
}

function enumMapping<View extends string, WireEnum extends number>(table: Record<View, WireEnum>): EnumMapping<View, WireEnum> {
  const words = Object.keys(table) as View[];
  const reverse = new Map<number, View>(words.map((word) => [table[word], word]));
  if (reverse.size !== words.length) throw new Error('enum mapping: two words map to the same wire value');
  return { toWire: (value) => table[value], fromWire: (value) => reverse.get(value), words };
}

export const conversationKind = enumMapping<ConversationKind, ConversationType>({
  direct: ConversationType.DIRECT,
  group: ConversationType.GROUP,
});

export const groupActionKind = enumMapping<GroupActionKind, WireGroupActionKind>({
  created: WireGroupActionKind.CREATED,
  membersAdded: WireGroupActionKind.MEMBERS_ADDED,
  membersRemoved: WireGroupActionKind.MEMBERS_REMOVED,
  left: WireGroupActionKind.LEFT,
  renamed: WireGroupActionKind.RENAMED,
  dissolved: WireGroupActionKind.DISSOLVED,
});

export const groupRole = enumMapping<GroupRole, WireGroupRole>({
  owner: WireGroupRole.OWNER,
  admin: WireGroupRole.ADMIN,
  member: WireGroupRole.MEMBER,
});

export const friendState = enumMapping<FriendState, WireFriendState>({
  friend: WireFriendState.FRIEND,
  removed: WireFriendState.REMOVED,
  blocked: WireFriendState.BLOCKED,
});

export const friendRequestState = enumMapping<FriendRequestState, WireFriendRequestState>({
  pending: WireFriendRequestState.PENDING,
  accepted: WireFriendRequestState.ACCEPTED,
  declined: WireFriendRequestState.DECLINED,
});

export const kickReason = enumMapping<KickReason, Kicked_Reason>({
  'other-login': Kicked_Reason.OTHER_LOGIN,
  'account-disabled': Kicked_Reason.ACCOUNT_DISABLED,
  'token-revoked': Kicked_Reason.TOKEN_REVOKED,
});

export const receiptKind = enumMapping<'delivered' | 'read', ReceiptType>({
  delivered: ReceiptType.DELIVERED,
  read: ReceiptType.READ,
});

/** Login sync phases and the domain each one pulls, in the order the login sync runs them. */
export const syncPhase = enumMapping<SyncPhase, SyncDomain>({
  messages: SyncDomain.MESSAGES,
  settings: SyncDomain.SETTINGS,
  friends: SyncDomain.FRIENDS,
  profiles: SyncDomain.PROFILES,
  groups: SyncDomain.GROUPS,
  members: SyncDomain.MEMBERS,
});

export const lastSeenVisibility = enumMapping<LastSeenSetting, LastSeenVisibility>({
  everyone: LastSeenVisibility.EVERYONE,
  friends: LastSeenVisibility.FRIENDS,
  nobody: LastSeenVisibility.NOBODY,
});

export const attachmentKind = enumMapping<AttachmentKind, WireAttachmentKind>({
  image: WireAttachmentKind.IMAGE,
  file: WireAttachmentKind.FILE,
});
