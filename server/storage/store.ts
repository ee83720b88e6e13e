/**
 * The storage contract: row shapes, the repositories an operation uses inside
 * a transaction (`Tx`), and the `Store` that runs operations.
 *
 * Services never hold a transaction. They hand the store a named operation
 * (server/operations/) and its arguments; the backend runs the operation
 * whole, inside one transaction, where the data lives:
 *
 * - SQLite (sqlite-store.ts): on the thread that owns the connection. Writes
 *   queued together are committed together (group commit), each operation in
 *   its own savepoint.
 * - PostgreSQL (postgres-store.ts): on a pooled connection, BEGIN ... COMMIT.
 *
 * A write resolves only once its commit is durable, so whatever the caller
 * does next (answer, push) may promise that the data survives a crash.
 * Sequences are allocated inside the writing transaction
 * (`SequencesRepository.allocate`), so a user's sequence order is commit order.
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
  /** LastSeenVisibility (0 = everyone; absent on rows read before the column existed). */
  last_seen_privacy?: number;
}

export interface DeviceRow {
  user_id: number;
  device_id: string;
  device_name: string;
  token_hash: Uint8Array | null;
  created_at: number;
  last_login: number;
  platform?: string;
  /** Last login or end of the device's last session. */
  last_active?: number;
}

/** A user's own settings of one conversation (ConversationSettings). */
export interface ConversationSettingsRow {
  user_id: number;
  /** ConversationType: 1 direct (target = the peer), 2 group (target = the group). */
  conv_type: number;
  target_id: number;
  pinned: number;
  muted_until: number;
  marked_unread: number;
  updated_at: number;
}

export interface EventRow {
  user_id: number;
  seq: number;
  domain: number;
  /** Message id for message events (body null), 0 otherwise. */
  ref: number;
  /** The SyncEvent without its seq (null for message events). */
  body: Uint8Array | null;
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
  /** The structured parts (a Message protobuf with only `attachments` or `group_action` set), null for text only. */
  attachments?: Uint8Array | null;
  /** Server time of the last edit, 0 = never edited (absent on rows written before edits existed). */
  edited_at?: number;
  /** Grows with every change of the message's reactions (MessageReactions.version). */
  reaction_rev?: number;
}

/** One user's reaction to a message. */
export interface ReactionRow {
  msg_id: number;
  user_id: number;
  emoji: string;
  at: number;
}

/** A stored attachment blob: ciphertext addressed by its SHA-256. */
export interface BlobRow {
  digest: string;
  size: number;
  uploader_id: number;
  created_at: number;
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
  create(user: { username: string; passwordHash: string; nickname: string; now: number }): Promise<number>;
  byId(id: number): Promise<UserRow | undefined>;
  byUsername(username: string): Promise<UserRow | undefined>;
  list(): Promise<UserRow[]>;
  setDisabled(id: number, disabled: boolean): Promise<boolean>;
  /** Which of `ids` are disabled (the admin CLI may disable users while the server runs). */
  disabledAmong(ids: readonly number[]): Promise<number[]>;
  setPasswordHash(id: number, hash: string): Promise<void>;
  updateProfile(id: number, fields: { nickname: string; avatar: string; signature: string }, now: number): Promise<void>;
  setLastSeen(id: number, at: number): Promise<void>;
  setLastSeenPrivacy(id: number, visibility: number): Promise<void>;
}

export interface SequencesRepository {
  /** The user's latest sync sequence (0 before any event). */
  head(userId: number): Promise<number>;
  /**
   * Takes `count` new consecutive sequences for each user and returns the
   * first of each, in the order given. Callers pass users in ascending id
   * order (row locks taken in one global order cannot deadlock), and insert
   * the events before the operation ends: a later call in the same operation
   * continues after these.
   */
  allocate(users: ReadonlyArray<readonly [userId: number, count: number]>): Promise<number[]>;
}

export interface DevicesRepository {
  get(userId: number, deviceId: string): Promise<DeviceRow | undefined>;
  upsert(device: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array | null; now: number }): Promise<void>;
  /**
   * A login with the device's token: updates the device's name, platform and
   * login time only if its stored token hash is `tokenHash`; false (nothing
   * changed) when it is not, or the device is unknown or signed out.
   */
  renew(device: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array; now: number }): Promise<boolean>;
  revokeToken(userId: number, deviceId: string): Promise<void>;
  revokeAll(userId: number): Promise<void>;
  /** Devices with a valid token (signed in), any order. */
  signedIn(userId: number): Promise<DeviceRow[]>;
  /** A session of the device ended: remember when. */
  touch(userId: number, deviceId: string, now: number): Promise<void>;
}

export interface ConversationSettingsRepository {
  get(userId: number, convType: number, targetId: number): Promise<ConversationSettingsRow | undefined>;
  put(row: ConversationSettingsRow): Promise<void>;
}

export interface EventsRepository {
  /** Stores events whose sequences were allocated in this transaction. */
  insert(rows: readonly EventRow[]): Promise<void>;
  /** Events after `after`, ascending, at most `limit`; `domains` empty = all. */
  list(userId: number, after: number, limit: number, domains: readonly number[]): Promise<EventRow[]>;
}

export interface ConversationsRepository {
  direct(a: number, b: number): Promise<ConversationRow | undefined>;
  ensureDirect(a: number, b: number): Promise<ConversationRow>;
  group(groupId: number): Promise<ConversationRow | undefined>;
  ensureGroup(groupId: number): Promise<ConversationRow>;
  byId(id: number): Promise<ConversationRow | undefined>;
  /** Takes the conversation's next sequence (the message insert uses it); once per operation. */
  nextSeq(convId: number): Promise<number>;
  /** The conversation's latest sequence. */
  seqHead(convId: number): Promise<number>;
}

export interface MessagesRepository {
  insert(message: Omit<MessageRow, 'id' | 'recalled_by'>): Promise<number>;
  byId(id: number): Promise<MessageRow | undefined>;
  bySenderClientId(senderId: number, clientMsgId: string): Promise<MessageRow | undefined>;
  /** Where the message of the user's message event `seq` sits (undefined for other events): one lookup per PUSH_ACK. */
  deliveryRef(userId: number, seq: number): Promise<{ conv_id: number; conv_seq: number; sender_id: number } | undefined>;
  recall(id: number, by: number): Promise<void>;
  /** Replaces text and mentions; `editedAt` is the edit's time. */
  edit(id: number, text: string, mentions: string, editedAt: number): Promise<void>;
  /** Raises the message's reaction revision by one and returns it. */
  bumpReactionRev(id: number): Promise<number>;
  readState(convId: number, userId: number): Promise<ReadStateRow | undefined>;
  /** Every read state of a conversation (a group's read counts; one row per member who has one). */
  readStates(convId: number): Promise<ReadStateRow[]>;
  /** Raises delivered_seq (and returns true) only if `seq` is above it. */
  advanceDelivered(convId: number, userId: number, seq: number): Promise<boolean>;
  /** Raises read_seq (and delivered_seq with it); true if read_seq moved. */
  advanceRead(convId: number, userId: number, seq: number): Promise<boolean>;
}

export interface ReactionsRepository {
  /** The message's reactions, oldest first. */
  list(msgId: number): Promise<ReactionRow[]>;
  /** Adds the reaction; false if the user already had it. */
  add(row: ReactionRow): Promise<boolean>;
  /** Removes the reaction; false if the user did not have it. */
  remove(msgId: number, userId: number, emoji: string): Promise<boolean>;
}

export interface FriendsRepository {
  get(userId: number, friendId: number): Promise<FriendRow | undefined>;
  set(userId: number, friendId: number, state: number, since: number): Promise<void>;
  ids(userId: number, state: number): Promise<number[]>;
  request(id: number): Promise<FriendRequestRow | undefined>;
  /** The open request between two users, in either direction. */
  pendingBetween(a: number, b: number): Promise<FriendRequestRow | undefined>;
  createRequest(fromId: number, toId: number, message: string, now: number): Promise<number>;
  setRequestState(id: number, state: number, now: number): Promise<void>;
}

export interface GroupsRepository {
  create(name: string, ownerId: number, now: number): Promise<number>;
  byId(id: number): Promise<GroupRow | undefined>;
  update(group: GroupRow): Promise<void>;
  member(groupId: number, userId: number): Promise<GroupMemberRow | undefined>;
  addMember(groupId: number, userId: number, role: number, now: number): Promise<void>;
  removeMember(groupId: number, userId: number): Promise<void>;
  setRole(groupId: number, userId: number, role: number): Promise<void>;
  memberIds(groupId: number): Promise<number[]>;
  members(groupId: number, afterUserId: number, limit: number): Promise<GroupMemberRow[]>;
  /** Users sharing at least one live group with `userId` (excluding them). */
  coMemberIds(userId: number): Promise<number[]>;
  areCoMembers(a: number, b: number): Promise<boolean>;
}

export interface BlobsRepository {
  get(digest: string): Promise<BlobRow | undefined>;
  /** Records a stored blob; recording it again changes nothing. */
  add(row: BlobRow): Promise<void>;
  /** Bytes of the blobs the user uploaded that are still stored. */
  usage(userId: number): Promise<number>;
  /** The uploader, or a member of a conversation with a live (not recalled) message carrying the blob. */
  canRead(userId: number, digest: string): Promise<boolean>;
  /** Blobs created before `before` that no live message carries. */
  unreferenced(before: number, limit: number): Promise<string[]>;
  /** Blobs whose newest carrying message was sent before `before`. */
  expired(before: number, limit: number): Promise<string[]>;
  /** Forgets blobs and the references to them. */
  remove(digests: readonly string[]): Promise<void>;
  /** The message carries these blobs (in the message's own transaction). */
  addReferences(msgId: number, digests: readonly string[]): Promise<void>;
}

/** What an operation sees: the repositories, all bound to its transaction. */
export interface Tx {
  users: UsersRepository;
  sequences: SequencesRepository;
  devices: DevicesRepository;
  conversationSettings: ConversationSettingsRepository;
  events: EventsRepository;
  conversations: ConversationsRepository;
  messages: MessagesRepository;
  reactions: ReactionsRepository;
  friends: FriendsRepository;
  groups: GroupsRepository;
  blobs: BlobsRepository;
}

/**
 * A unit of work a backend runs whole. `name` is how a backend that runs it
 * elsewhere (the SQLite worker thread) finds the same code: every operation
 * is registered in server/operations/index.ts. Arguments and results must
 * survive structured cloning (plain objects, numbers, strings, bigints,
 * Uint8Arrays).
 */
export interface Operation<A, R> {
  readonly kind: 'read' | 'write';
  readonly name: string;
  run(tx: Tx, args: A, now: number): Promise<R>;
}

/** Writes: run inside a transaction; may fail and roll back alone. */
export interface WriteOperation<A, R> extends Operation<A, R> {
  readonly kind: 'write';
  /**
   * Writes with the same key contend for the same rows (one conversation's
   * sequence): a backend with concurrent transactions runs them one after
   * another in one transaction instead of letting them queue on row locks
   * (PostgreSQL). Undefined: no such hot spot.
   */
  batchKey?(args: A): string | undefined;
}

/** Reads: never write (backends may run them outside a transaction, on a snapshot at least as new as every acknowledged write). */
export interface ReadOperation<A, R> extends Operation<A, R> {
  readonly kind: 'read';
}

export interface StoreStats {
  /** Transactions committed and the write operations they carried (group commit; one rolled back alone is not counted). */
  batches: number;
  jobs: number;
  /** Explicit durability syncs (SQLite group-fsync). */
  syncs: number;
  /** CPU seconds of the thread that runs the operations, when that is a thread of its own (the SQLite worker). */
  threadCpuSeconds?: number;
}

export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /** Runs a write operation in a transaction; resolves once the commit is durable. `now` is the operation's clock reading. */
  write<A, R>(op: WriteOperation<A, R>, args: A, now: number): Promise<R>;
  /** Runs a read operation; its answer waits until what it saw is durable. */
  read<A, R>(op: ReadOperation<A, R>, args: A, now: number): Promise<R>;
  stats(): StoreStats;
  /** Finishes what is queued (its callers get their answers), then closes. Later calls are refused. */
  close(): Promise<void>;
}

/**
 * The store cannot be reached right now (database restarting, connection
 * lost, pool exhausted): nothing was written. Clients get a retryable code.
 */
export class StoreUnavailableError extends Error {
  /** The server's disk is full: nothing was stored; retrying makes sense once space returns (later than after an outage). */
  readonly diskFull: boolean;
  constructor(message: string, options?: { cause?: unknown; diskFull?: boolean }) {
    super(message, { cause: options?.cause });
    this.name = 'StoreUnavailableError';
    this.diskFull = options?.diskFull ?? false;
  }
}

/** SQLite's SQLITE_FULL (its database or WAL file could not grow), ENOSPC from a write or sync, PostgreSQL's disk_full (53100). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100';
}

/**
 * A full disk becomes the retryable StoreUnavailableError (the failed
 * transaction was rolled back: nothing of it stands); other errors pass.
 */
export function diskFullAsUnavailable(err: unknown): unknown {
  if (!isDiskFull(err)) return err;
  return new StoreUnavailableError(`disk full: ${err instanceof Error ? err.message : String(err)}`, { cause: err, diskFull: true });
}
