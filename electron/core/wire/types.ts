/**
 * The wire shapes the core consumes, derived from the generated protobuf
 * types (shared/gen, from shared/proto: the schema of record) rather than
 * copied by hand: a field added to the proto appears here by itself.
 *
 * `Wire<T>` is a decoded message minus protobuf-es's bookkeeping
 * (`$typeName`, `$unknown`), with every uint64 (bigint from the generator)
 * also accepting a plain number, so hand-written code and tests can pass
 * numbers while the sync engine passes decoded messages unchanged.
 */
import type {
  Attachment,
  ConversationRef,
  ConversationSettings,
  Friend,
  FriendRequestInfo,
  GroupInfo,
  GroupMember,
  Message,
  MessageEdited,
  MessageHidden,
  MessageReactions,
  MessageRecalled,
  Profile,
  Receipt,
  SyncEvent,
} from '../../../shared/protocol';

/** uint64 from the wire: the generator emits bigint, hand-written code uses number. */
export type WireId = number | bigint;

export type Wire<T> = T extends bigint
  ? WireId
  : T extends Uint8Array
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T as K extends '$typeName' | '$unknown' ? never : K]: Wire<T[K]> }
        : T;

export type WireConversationRef = Wire<ConversationRef>;
export type WireProfile = Wire<Profile>;
export type WireMessage = Wire<Message>;
export type WireAttachment = Wire<Attachment>;
export type WireMessageRecalled = Wire<MessageRecalled>;
export type WireMessageEdited = Wire<MessageEdited>;
export type WireMessageReactions = Wire<MessageReactions>;
export type WireMessageHidden = Wire<MessageHidden>;
export type WireReceipt = Wire<Receipt>;
export type WireFriend = Wire<Friend>;
export type WireFriendRequest = Wire<FriendRequestInfo>;
export type WireGroup = Wire<GroupInfo>;
export type WireGroupMember = Wire<GroupMember>;
export type WireSyncEvent = Wire<SyncEvent>;
export type WireConversationSettings = Wire<ConversationSettings>;
