/**
 * The storage interface the services use. The embedded implementation is
 * SQLite (sqlite-store.ts); a scale-out backend implements the same
 * repositories. Calls are synchronous: the services run every change inside
 * `transaction()`, and the per-user sync sequence is allocated there
 * (`events.append`: the user's max + 1, under the single writer), so sequence
 * order equals commit order.
 */

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  nickname: string;
  avatar: string;
  signature: string;
  disabled: number;
  created_at: number;
  updated_at: number;
  last_seen: number;
}

export interface DeviceRow {
  user_id: number;
  device_id: string;
  device_name: string;
  token_hash: Buffer | null;
  created_at: number;
  last_login: number;
}

export interface EventRow {
  user_id: number;
  seq: number;
  domain: number;
  /** Message id for message events (body null), 0 otherwise. */
  ref: number;
  body: Buffer | null;
}

export interface ConversationRow {
  id: number;
  kind: number;
  user_lo: number | null;
  user_hi: number | null;
  group_id: number | null;
}

export interface MessageRow {
  id: number;
  conv_id: number;
  conv_seq: number;
  sender_id: number;
  client_msg_id: string;
  sent_at: number;
  text: string;
  /** Comma-separated user ids ("0" = @all). */
  mentions: string;
  reply_to: number;
  sender_seq: number;
  recalled_by: number;
}

export interface ReadStateRow {
  conv_id: number;
  user_id: number;
  delivered_seq: number;
  read_seq: number;
}

export interface FriendRow {
  user_id: number;
  friend_id: number;
  state: number;
  since: number;
}

export interface FriendRequestRow {
  id: number;
  from_id: number;
  to_id: number;
  message: string;
  state: number;
  created_at: number;
  updated_at: number;
}

export interface GroupRow {
  id: number;
  name: string;
  owner_id: number;
  member_count: number;
  dissolved: number;
  created_at: number;
  updated_at: number;
}

export interface GroupMemberRow {
  group_id: number;
  user_id: number;
  role: number;
  joined_at: number;
}

export const ConversationKind = { DIRECT: 1, GROUP: 2 } as const;

export interface UsersRepository {
  create(user: { username: string; passwordHash: string; nickname: string; now: number }): number;
  byId(id: number): UserRow | undefined;
  byUsername(username: string): UserRow | undefined;
  list(): UserRow[];
  setDisabled(id: number, disabled: boolean): boolean;
  /** Which of `ids` are disabled (the admin CLI may disable users while the server runs). */
  disabledAmong(ids: readonly number[]): number[];
  setPasswordHash(id: number, hash: string): void;
  updateProfile(id: number, fields: { nickname: string; avatar: string; signature: string }, now: number): void;
  setLastSeen(id: number, at: number): void;
  /** The user's latest sync sequence (0 before any event). */
  seqHead(id: number): number;
}

export interface DevicesRepository {
  get(userId: number, deviceId: string): DeviceRow | undefined;
  upsert(device: { userId: number; deviceId: string; deviceName: string; tokenHash: Buffer | null; now: number }): void;
  touch(userId: number, deviceId: string, deviceName: string, now: number): void;
  revokeToken(userId: number, deviceId: string): void;
  revokeAll(userId: number): void;
}

export interface EventsRepository {
  /**
   * Allocates the user's next sequence and stores the event; call inside a transaction.
   * `seq`: that next sequence, when the caller has just read it (seqHead + 1) in this same
   * transaction; saves the lookup (a wrong one fails on the primary key).
   */
  append(userId: number, domain: number, ref: number, body: Uint8Array | null, seq?: number): number;
  /** Events after `after`, ascending, at most `limit`; `domains` empty = all. */
  list(userId: number, after: number, limit: number, domains: readonly number[]): EventRow[];
  get(userId: number, seq: number): EventRow | undefined;
}

export interface ConversationsRepository {
  direct(a: number, b: number): ConversationRow | undefined;
  ensureDirect(a: number, b: number): ConversationRow;
  group(groupId: number): ConversationRow | undefined;
  ensureGroup(groupId: number): ConversationRow;
  byId(id: number): ConversationRow | undefined;
  /** The conversation's next sequence (the message insert takes it); call inside the writing transaction. */
  nextSeq(convId: number): number;
  /** The conversation's latest sequence. */
  seqHead(convId: number): number;
}

export interface MessagesRepository {
  insert(message: Omit<MessageRow, 'id' | 'recalled_by'>): number;
  byId(id: number): MessageRow | undefined;
  bySenderClientId(senderId: number, clientMsgId: string): MessageRow | undefined;
  /** Where the message of the user's message event `seq` sits (undefined for other events): one lookup per PUSH_ACK. */
  deliveryRef(userId: number, seq: number): { conv_id: number; conv_seq: number; sender_id: number } | undefined;
  recall(id: number, by: number): void;
  readState(convId: number, userId: number): ReadStateRow | undefined;
  /** Raises delivered_seq (and returns true) only if `seq` is above it. */
  advanceDelivered(convId: number, userId: number, seq: number): boolean;
  /** Raises read_seq (and delivered_seq with it); true if read_seq moved. */
  advanceRead(convId: number, userId: number, seq: number): boolean;
}

export interface FriendsRepository {
  get(userId: number, friendId: number): FriendRow | undefined;
  set(userId: number, friendId: number, state: number, since: number): void;
  ids(userId: number, state: number): number[];
  request(id: number): FriendRequestRow | undefined;
  /** The open request between two users, in either direction. */
  pendingBetween(a: number, b: number): FriendRequestRow | undefined;
  createRequest(fromId: number, toId: number, message: string, now: number): number;
  setRequestState(id: number, state: number, now: number): void;
}

export interface GroupsRepository {
  create(name: string, ownerId: number, now: number): number;
  byId(id: number): GroupRow | undefined;
  update(group: GroupRow): void;
  member(groupId: number, userId: number): GroupMemberRow | undefined;
  addMember(groupId: number, userId: number, role: number, now: number): void;
  removeMember(groupId: number, userId: number): void;
  setRole(groupId: number, userId: number, role: number): void;
  memberIds(groupId: number): number[];
  members(groupId: number, afterUserId: number, limit: number): GroupMemberRow[];
  /** Users sharing at least one live group with `userId` (excluding them). */
  coMemberIds(userId: number): number[];
  areCoMembers(a: number, b: number): boolean;
}

export interface Store {
  users: UsersRepository;
  devices: DevicesRepository;
  events: EventsRepository;
  conversations: ConversationsRepository;
  messages: MessagesRepository;
  friends: FriendsRepository;
  groups: GroupsRepository;
  /** Runs `fn` atomically; nested calls become savepoints. */
  transaction<T>(fn: () => T): T;
  /** Online backup to a file (VACUUM INTO). */
  backup(file: string): void;
  close(): void;
}
