/**
 * The local cache of one account: the contract between the cache and the
 * rest of the core (connection, outbox engine, sync engine, the contract's
 * methods).
 *
 * One SQLite file per account: `<dir>/accounts/<userId>/cache.db` (WAL,
 * foreign keys on, numbered migrations). Everything here is synchronous
 * (better-sqlite3), which is why the core runs on a thread of its own, never
 * on the thread of a window or of the web shell's HTTP server. Batches (a
 * sync page, a login backlog) go through `cache.transaction(fn)` or
 * `cache.applySyncEvents(events)`, which wrap them in one SQLite transaction.
 *
 * Inputs are the decoded protobuf messages (`Wire*` of ../wire, derived from
 * shared/gen): pass a decoded `Message`, `Receipt`, `Friend`, ... directly.
 * Ids, sequences and times may be `number` or `bigint` (the generator emits
 * bigint for uint64); the cache converts them to numbers (all stay below 2^53).
 *
 * Not stored here: the accounts on this device and their device tokens
 * (../account-store.ts, `<dir>/accounts.json`), settings
 * (../settings-store.ts), presence (memory only: it is stale after a restart).
 */
import type {
  Contact,
  ConversationKey,
  MediaItem,
  ConversationView,
  ErrorInfo,
  FriendRequestView,
  GroupMemberView,
  GroupView,
  MessagePage,
  MessageSearchHit,
  MessageStatus,
  MessageView,
  Page,
  PrivacySettings,
  Profile,
} from '../../../shared/ipc';
import type { SyncDomain } from '../../../shared/protocol';
import type { Logger } from '../log';
import type { StoredAttachment } from '../attachments/stored';
import type {
  WireFriend,
  WireFriendRequest,
  WireGroup,
  WireGroupMember,
  WireId,
  WireMessage,
  WireMessageEdited,
  WireMessageHidden,
  WireMessageReactions,
  WireMessageRecalled,
  WireProfile,
  WireReceipt,
  WireConversationSettings,
  WireSyncEvent,
} from '../wire';

// ---------------------------------------------------------------- open

/** pino-compatible subset; the cache never logs message bodies. */
export type CacheLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface OpenCacheOptions {
  /** The app's data directory; the file is `<dir>/accounts/<userId>/cache.db`. */
  dir: string;
  /** The logged-in user: decides which messages are outgoing, whose receipts count as "read by me". */
  userId: number;
  log?: CacheLogger;
  /** Epoch ms; injected for tests. Defaults to Date.now. */
  now?: () => number;
  /**
   * How much of the file to verify on open. 'quick' (default): the header,
   * the file length against the header's page count, and `quick_check` of
   * every table except messages and the search index (milliseconds, even on
   * a 1M-message cache). 'full': `quick_check` of everything (seconds on a
   * large cache): use it when reopening after an SQLITE_CORRUPT error at run
   * time, or after a crash if you want to be thorough.
   */
  integrityCheck?: 'quick' | 'full';
  /**
   * The 32-byte key of this account's cache (../data-key.ts `cacheKey`): the
   * file is encrypted (./encryption.ts). Absent: plain SQLite (tests of the cache).
   */
  key?: Uint8Array;
  /** The key is new because the old one was lost: a file it cannot read is reported as CACHE_KEY_LOST. */
  keyReplaced?: boolean;
}

/** What happened when the file could not be used (the `cacheRecovered` event's payload plus details). */
export interface CacheRecovery {
  /** code 'CACHE_CORRUPT' (message says why: not a database, malformed, quick_check failed) or 'CACHE_KEY_LOST'. */
  error: ErrorInfo;
  /** Where the bad file was moved (its -wal/-shm moved next to it with the same suffix). Never deleted. */
  movedTo: string;
  /** Unsent outbox entries copied from the bad file into the fresh cache (pending again, resent by the outbox engine). */
  recoveredOutbox: number;
  /** JSON copy of the recovered outbox next to the moved file (written whenever recoveredOutbox > 0). */
  recoveryFile?: string;
  /**
   * Neither SQLite nor a raw scan of the bad file's pages found its outbox
   * (unsent messages may be lost; the moved file is kept for manual rescue).
   */
  outboxUnreadable?: boolean;
}

export interface OpenCacheResult {
  cache: Cache;
  /** Set when the file was unusable: the core emits `cacheRecovered` and syncs from cursor 0. */
  recovered?: CacheRecovery;
}

/** Signature of `openCache` (exported from `./index`). Throws only if even a fresh file cannot be created. */
export type OpenCache = (options: OpenCacheOptions) => OpenCacheResult;

// ---------------------------------------------------------------- the cache

export interface Cache {
  readonly userId: number;
  /** Absolute path of cache.db. */
  readonly path: string;
  readonly messages: MessageRepository;
  readonly conversations: ConversationRepository;
  readonly outbox: OutboxRepository;
  readonly contacts: ContactRepository;
  readonly profiles: ProfileRepository;
  readonly groups: GroupRepository;
  readonly members: MemberRepository;
  readonly syncState: SyncStateRepository;
  readonly search: SearchRepository;
  readonly localFiles: LocalFileRepository;

  /** Run `fn` in one transaction (nested calls become savepoints). Rolls back if it throws. */
  transaction<T>(fn: () => T): T;

  /**
   * Apply a page of sync events (or one push) in one transaction, each
   * idempotently, and advance the cursor of every domain to the highest
   * `seq` applied for it (never backwards). Returns what changed, for events
   * to the UI.
   */
  applySyncEvents(events: readonly WireSyncEvent[]): AppliedChanges;

  /**
   * Sending: `messages.insertOutgoing` + `outbox.add` in one transaction (the
   * message is durable before any byte is sent). The outbox payload is
   * derived from the message (reply id from `replyTo.serverId`). Returns the
   * conversation too (the message is its last one now), for the UI's events.
   */
  enqueueOutgoing(message: NewOutgoingMessage): { message: MessageView; entry: OutboxEntry; conversation: ConversationView };

  /**
   * The server acknowledged an outgoing message: `messages.markAcked` +
   * `outbox.remove` in one transaction. Returns the message, and its
   * conversation when the conversation's view changed (the message was its
   * last one). Undefined for an unknown id.
   */
  acknowledgeOutgoing(id: string, ack: MessageAck): { message: MessageView; conversation?: ConversationView } | undefined;

  /** Schema version (number of the last migration applied). */
  schemaVersion(): number;

  /** Statements run on this file so far: the cost of an operation, for tests and benchmarks. */
  statementsRun(): number;

  /**
   * Full `quick_check` of the whole file (seconds on a large cache; run it
   * when idle). Returns the problems found, [] when the file is sound. If it
   * finds any, close the cache and reopen with `integrityCheck: 'full'`,
   * which moves the file aside and rebuilds.
   */
  checkIntegrity(): string[];

  /** Checkpoint the WAL and close the file. Further calls throw. */
  close(): void;
}

/** What `applySyncEvents` changed; every list is de-duplicated, last state wins. */
export interface AppliedChanges {
  messages: MessageView[];
  /** Messages deleted for me on another device, per conversation (only when there are some). */
  removed?: { key: ConversationKey; ids: string[] }[];
  conversations: ConversationView[];
  friends: Contact[];
  friendRequests: FriendRequestView[];
  profiles: Profile[];
  groups: GroupView[];
  /** Members changed, per group. */
  members: { groupId: number; members: GroupMemberView[] }[];
  /** Set when any conversation's unread count or mute changed. */
  unreadTotal?: number;
  /** A conversation's settings (pin, mute, marked unread) came from another device. */
  settingsChanged?: boolean;
  /** The account's privacy settings, when an event changed them. */
  privacy?: PrivacySettings;
  /** Highest seq applied per domain (the new cursors). */
  cursors: Partial<Record<SyncDomain, number>>;
}

// ---------------------------------------------------------------- messages

export type ApplyChange = 'inserted' | 'updated' | 'unchanged';

export interface NewOutgoingMessage {
  /** The client message id (UUIDv7, `uuidv7()` from `../uuidv7`); becomes `MessageView.id`. */
  id: string;
  key: ConversationKey;
  text: string;
  /** Files, already encrypted into this device's files (`localFiles.add`, pinned) before the message is enqueued. */
  attachments?: StoredAttachment[];
  mentions?: number[];
  replyTo?: { serverId: number; senderId: number; preview: string };
  /** Local time of creation (epoch ms). */
  createdAt: number;
}

export interface MessageAck {
  msgId: WireId;
  convSeq: WireId;
  sentAt: WireId;
}

export interface PageOptions {
  /** Without an anchor: the latest `limit` messages. */
  anchor?: { messageId: string; direction: 'before' | 'after' | 'around' };
  limit: number;
}

export interface MessageRepository {
  /**
   * Insert or merge a message from the server (push, sync page, history).
   * Matched by server id, then by (sender, client msg id) — which is how the
   * pending row of a message sent from this device is found. Idempotent: the
   * same message twice, or an older copy after a recall, changes nothing
   * (`change: 'unchanged'`). Maintains the conversation row (last message,
   * unread, mentioned) and the search index.
   */
  applyServerMessage(message: WireMessage): { change: ApplyChange; message: MessageView };
  /**
   * A message typed on this device, before any byte is sent (status
   * 'pending'). Call it in `cache.transaction` together with `outbox.add`.
   * Throws if the id exists.
   */
  insertOutgoing(message: NewOutgoingMessage): MessageView;
  /**
   * The server stored it: set server id, conv seq, server time; status 'sent'
   * (or better, if receipts already cover it). Idempotent; undefined only for
   * an unknown id. Does not touch the outbox (remove the entry yourself).
   */
  markAcked(id: string, ack: MessageAck): MessageView | undefined;
  /**
   * Set the status of an outgoing message (pending <-> failed for retries and
   * resend; `error` is kept only with 'failed'). Once acked, only moves
   * forward (sent -> delivered -> read). Returns the current view, undefined
   * for an unknown id.
   */
  setStatus(id: string, status: MessageStatus, error?: ErrorInfo): MessageView | undefined;
  /**
   * Recall: text emptied, `recalled` set, removed from search; unread/mentioned
   * fixed. Returns the changed message, or undefined when nothing changed
   * (already recalled, or not cached yet: then it is remembered and applied
   * when the message arrives).
   */
  applyRecall(recall: WireMessageRecalled): MessageView | undefined;
  /** An edit (newer `editedAt` than the text held): text, mentions and the search index change. Undefined when nothing changed. */
  applyEdit(edit: WireMessageEdited): MessageView | undefined;
  /** A reactions snapshot (newer `version` than the one held). Undefined when nothing changed. */
  applyReactions(reactions: WireMessageReactions): MessageView | undefined;
  /** Deleted for me on another device: the message leaves this cache. Undefined when it is not cached. */
  applyHidden(hidden: WireMessageHidden): { id: string; key: ConversationKey } | undefined;
  /**
   * A receipt. From another user: outgoing messages up to the seq become
   * delivered/read (remembered for messages acked later). From myself (read on
   * another device): the conversation's read seq moves forward and unread drops.
   */
  applyReceipt(receipt: WireReceipt): { messages: MessageView[]; conversation?: ConversationView };
  /** Delete locally (any message, e.g. a failed one; not the outbox entry). Returns its conversation, or undefined if unknown. */
  delete(id: string): { key: ConversationKey } | undefined;
  get(id: string): MessageView | undefined;
  getByServerId(serverId: number): MessageView | undefined;
  /**
   * A page of one conversation in ascending order: acked messages by conv seq,
   * then pending/failed ones in the order they were created. 'around' puts the
   * anchor in the middle (and includes it); before/after exclude the anchor.
   * An unknown anchor gives the latest page.
   */
  page(key: ConversationKey, options: PageOptions): MessagePage;
  /** Highest acked conv seq in the conversation (0 if none). */
  latestConvSeq(key: ConversationKey): number;
  /** A conversation's pictures or other files, newest first (`cursor` from `nextCursor`). */
  listMedia(key: ConversationKey, kind: 'media' | 'files', limit: number, cursor?: string): Page<MediaItem>;
  /** A message's files with their blob references and keys (transfers only; never for the UI). */
  storedAttachments(id: string): { key: ConversationKey; outgoing: boolean; status: MessageStatus; list: StoredAttachment[] } | undefined;
  /** Whether a message other than `exceptId` carries the file (a forward shares its original's blob). */
  refersToFile(digest: string, exceptId: string): boolean;
  /** Ids of the messages carrying any of these files (their views change when the files leave this device). */
  referringToFiles(digests: readonly string[]): string[];
}

// ---------------------------------------------------------------- conversations

export interface ConversationRepository {
  get(key: ConversationKey): ConversationView | undefined;
  /** Pinned first, then by `updatedAt` descending. `cursor` is opaque (from `nextCursor`). */
  list(options: { limit: number; cursor?: string }): Page<ConversationView>;
  /** Create the row if missing (e.g. when the user opens a chat with a friend). */
  ensure(key: ConversationKey): ConversationView;
  /**
   * Read everything: read seq = latest acked conv seq, unread 0, mentioned
   * cleared. Returns the seq for MARK_READ, and whether anything changed.
   */
  markRead(key: ConversationKey): { readSeq: number; changed: boolean; conversation: ConversationView };
  /** Sets `updatedAt` to now when the text changes (draft moves the chat up). */
  setDraft(key: ConversationKey, text: string): ConversationView;
  setPinned(key: ConversationKey, pinned: boolean): ConversationView;
  /** Muted until an epoch ms time, with no end ('forever'), or not (0). Unmutes by itself when the time passes. */
  setMuted(key: ConversationKey, until: number | 'forever' | 0): ConversationView;
  /** The user's "mark as unread" (only when nothing is unread); cleared by `markRead`. */
  markUnread(key: ConversationKey): { changed: boolean; conversation: ConversationView };
  /** Sum of unread of unmuted conversations, a conversation marked unread counting one (the badge). */
  unreadTotal(): number;
  /** The earliest time a timed mute ends, if any is running. */
  nextMuteEnd(): number | undefined;
  /** Conversations whose timed mute ended in (from, to]. */
  mutesEndedBetween(from: number, to: number): ConversationView[];
  /** Remove the conversation and its messages locally. */
  remove(key: ConversationKey): boolean;
  /**
   * The conversation's settings as the server last described them (event
   * `seq`); an older description than the one applied changes nothing.
   * Returns the key when the row changed.
   */
  applySettings(settings: WireConversationSettings, seq: number): ConversationKey | undefined;
}

// ---------------------------------------------------------------- outbox

export type OutboxState = 'queued' | 'inflight' | 'failed';

export interface OutboxPayload {
  text: string;
  mentions: number[];
  /** Server id of the quoted message, 0 = none. */
  replyToMsgId: number;
  /** Files to upload before MESSAGE_SEND (then sent with it). */
  attachments?: StoredAttachment[];
}

export interface OutboxEntry {
  clientMsgId: string;
  key: ConversationKey;
  payload: OutboxPayload;
  state: OutboxState;
  attempts: number;
  /** Epoch ms; `listDue` returns queued entries whose time has come. */
  nextAttemptAt: number;
  createdAt: number;
  lastError?: ErrorInfo;
}

export interface OutboxRepository {
  /** Throws if the id exists. State 'queued', attempts 0, nextAttemptAt defaults to createdAt. */
  add(entry: { clientMsgId: string; key: ConversationKey; payload: OutboxPayload; createdAt: number; nextAttemptAt?: number }): OutboxEntry;
  get(clientMsgId: string): OutboxEntry | undefined;
  /** All entries, oldest first (for resuming after a restart). */
  list(): OutboxEntry[];
  /** Queued entries with nextAttemptAt <= now, oldest first. */
  listDue(now: number, limit?: number): OutboxEntry[];
  /** Sets the fields the patch has (`lastError: undefined` clears it); one statement. */
  update(clientMsgId: string, patch: Partial<Pick<OutboxEntry, 'state' | 'attempts' | 'nextAttemptAt' | 'lastError'>>): OutboxEntry | undefined;
  /** After a restart: entries that were in flight are queued again, due at `now`. Returns how many. */
  requeueInflight(now: number): number;
  /** The connection is back: queued entries waiting for a later time are due at `now`. Returns how many. */
  makeDue(now: number): number;
  /**
   * Messages that failed only because there was no connection (`OFFLINE`)
   * are queued again, due now, attempts reset; returns their ids, oldest first.
   */
  requeueFailedOffline(now: number): string[];
  /** The earliest attempt time of a queued entry after `now` (for the engine's timer). */
  nextAttemptAfter(now: number): number | undefined;
  /** Whether any entry is queued or in flight (not failed). */
  hasUnsent(): boolean;
  /** Queued and in-flight entries, oldest first: id and conversation only. */
  listUnsent(): { clientMsgId: string; key: ConversationKey }[];
  remove(clientMsgId: string): boolean;
  count(): number;
}

// ---------------------------------------------------------------- files on this device

/** An encrypted file on this device, named by its ciphertext digest. */
export interface LocalFile {
  digest: string;
  /** Ciphertext bytes of the whole file. */
  size: number;
  /** Bytes on disk, every chunk of them verified (== size when complete). */
  have: number;
  /** The sender's own file of an unacknowledged message: never evicted. */
  pinned: boolean;
  lastUsedAt: number;
  /** The decrypted copy last written for "open" / "show in folder". */
  exported?: string;
}

export interface LocalFileRepository {
  get(digest: string): LocalFile | undefined;
  /** A whole file is on disk (a finished download, or an upload's staged file, pinned). */
  putComplete(digest: string, size: number, pinned: boolean): void;
  /** A download's verified prefix. */
  setHave(digest: string, size: number, have: number): void;
  /** Their messages were acknowledged (or deleted): the files become ordinary cache. */
  unpin(digests: readonly string[]): void;
  /** Used now (LRU). */
  touch(digest: string): void;
  setExported(digest: string, path: string | undefined): void;
  remove(digest: string): void;
  /** Bytes of complete, unpinned files: what the size cap counts. */
  cachedBytes(): number;
  /** Complete, unpinned files, least recently used first. */
  leastRecentlyUsed(limit: number): { digest: string; size: number }[];
  /** Unfinished downloads. */
  partial(): LocalFile[];
  all(): LocalFile[];
}

// ---------------------------------------------------------------- contacts, profiles

export interface ContactRepository {
  /** Upsert a friend (and its profile); `seq` (the sync event's) makes an older event after a newer one a no-op. */
  applyFriend(friend: WireFriend, seq?: number): { change: ApplyChange; contact?: Contact };
  /** Friends and blocked users (not 'removed'), by display name. */
  listFriends(): Contact[];
  getFriend(userId: number): Contact | undefined;
  applyFriendRequest(request: WireFriendRequest, seq?: number): { change: ApplyChange; request: FriendRequestView };
  /** Newest first; incoming and outgoing, any state. */
  listFriendRequests(): FriendRequestView[];
  /** Presence (memory only). Returns true if it changed. */
  /** `hidden`: a last-seen setting hides their presence from this account. */
  setPresence(userId: number, online: boolean, lastSeen: number, hidden?: boolean): boolean;
  getPresence(userId: number): { online: boolean; lastSeen: number };
}

export interface ProfileRepository {
  /** Applies if `updatedAt` >= the stored one. Returns whether the stored profile changed. */
  upsert(profile: WireProfile): boolean;
  upsertMany(profiles: readonly WireProfile[]): Profile[];
  get(userId: number): Profile | undefined;
  getMany(userIds: readonly number[]): Profile[];
  /** The ids of `userIds` that have no cached profile (to fetch lazily). */
  missing(userIds: readonly number[]): number[];
}

// ---------------------------------------------------------------- groups

export interface GroupRepository {
  /** Upsert; an older `updatedAt` (or older `seq`) than stored is ignored. */
  apply(group: WireGroup, seq?: number): { change: ApplyChange; group: GroupView };
  get(groupId: number): GroupView | undefined;
  /** Groups I am in (myRole set, not dissolved) first by name, then the others. */
  list(): GroupView[];
  remove(groupId: number): boolean;
}

export interface MemberRepository {
  /** Role UNSPECIFIED removes the member. An older `seq` than stored is ignored. */
  apply(member: WireGroupMember, seq?: number): { change: ApplyChange; member?: GroupMemberView };
  /** Replace the whole member list of a group (after GROUP_MEMBERS paging). */
  replaceAll(groupId: number, members: readonly WireGroupMember[]): GroupMemberView[];
  /** Owner, admins, then members; by display name. */
  list(groupId: number): GroupMemberView[];
  get(groupId: number, userId: number): GroupMemberView | undefined;
  count(groupId: number): number;
}

// ---------------------------------------------------------------- sync state

export interface SyncStateRepository {
  /** The last seq applied for the domain (0: nothing yet). */
  getCursor(domain: SyncDomain): number;
  /** Moves forward only; returns the stored value. */
  setCursor(domain: SyncDomain, seq: number): number;
  getCursors(): Partial<Record<SyncDomain, number>>;
  /** Small account-level values (e.g. 'lastSyncHead'); JSON-serialisable. Not for secrets. */
  getMeta<T = unknown>(key: string): T | undefined;
  setMeta(key: string, value: unknown): void;
}

// ---------------------------------------------------------------- search

export interface SearchOptions {
  query: string;
  /** Only this conversation. */
  key?: ConversationKey;
  limit: number;
}

export interface SearchRepository {
  /**
   * Full-text search (FTS5): Chinese words and phrases of any length
   * (including a single character), English words and prefixes, words inside
   * URLs. Ranked by bm25 among the newest matches, newest first on ties.
   * Each hit carries a snippet as parts (render as text) and the message id
   * plus conversation key, for `messages.page(key, { anchor: around })`.
   */
  search(options: SearchOptions): MessageSearchHit[];
  /**
   * Optional idle-time upkeep: merge index segments a little (about `pages`
   * pages written, default 50: a few ms to tens of ms). Returns false when
   * nothing is left to merge. Measured at 1M messages: 2.5-6 s of merging per full pass in
   * total for no clear query gain (FTS5's own automerge already keeps the
   * index in shape), so calling it is not required.
   */
  maintain(pages?: number): boolean;
  /** Rebuild the index from the messages table (maintenance; slow on large caches). */
  rebuild(): void;
}
