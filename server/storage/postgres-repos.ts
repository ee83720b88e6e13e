/**
 * The repositories of a PostgreSQL transaction: one pooled connection,
 * named (server-side prepared) statements, bigints read back as numbers
 * (ids, sequences and times stay below 2^53; see postgres-store.ts).
 *
 * Sequences come from the logs they number (migration 10): a user's head is
 * the largest `seq` of their events, a conversation's the largest `conv_seq`
 * of its messages. A writer first takes a transaction-scoped advisory lock
 * for the user or conversation, which holds until COMMIT, so a second
 * transaction writing to the same user waits, and a user's sequence order is
 * their commit order on every node; then, in a later statement (whose
 * snapshot is taken once the lock is granted, so it sees the previous
 * holder's commit), it reads the head. Locks are taken in one global order
 * (a conversation, then users ascending), so transactions touching the same
 * users cannot deadlock on them. Once held, the head is kept in memory for
 * the rest of the transaction (`Sql.held`): the other sends of a batch take
 * their sequences without a statement. Nothing is written for a sequence:
 * the counter rows that were raised per message (a new tuple version, a lock
 * record and a full-page image after each checkpoint) are gone.
 */
import type { PoolClient, QueryResultRow } from 'pg';
import {
  ConversationKind,
  type BlobRow,
  type BlobsRepository,
  type ConversationRow,
  type ConversationSettingsRepository,
  type ConversationSettingsRow,
  type ConversationsRepository,
  type DeviceRow,
  type DevicesRepository,
  type EventRow,
  type EventsRepository,
  type FriendRequestRow,
  type FriendRow,
  type FriendsRepository,
  type GroupMemberRow,
  type GroupRow,
  type GroupsRepository,
  type MessageRow,
  type MessagesRepository,
  type ReactionRow,
  type ReactionsRepository,
  type ReadStateRow,
  type SequencesRepository,
  type Tx,
  type UserRow,
  type UsersRepository,
} from './store';

/** pg sends a Buffer as bytea; a plain Uint8Array (one that crossed a thread) is wrapped without a copy. */
function bytes(value: Uint8Array | null): Buffer | null {
  if (value === null || Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Whether a statement only reads (it may then run before the transaction's BEGIN; see Sql). Taking a lock is not reading. */
const readOnly = new Map<string, boolean>();
function isRead(name: string, text: string): boolean {
  let read = readOnly.get(name);
  if (read === undefined) {
    read = /^\s*SELECT\b/i.test(text) && !/\bFOR\s+(UPDATE|SHARE|NO KEY UPDATE|KEY SHARE)\b/i.test(text) && !/\bpg_advisory/i.test(text);
    readOnly.set(name, read);
  }
  return read;
}

/**
 * Advisory lock keys of the sequences (the one-bigint key space, negative: the migrator's lock is positive, and
 * the session directory uses the two-key space). Exact for ids below 2^52.
 */
export const userSeqLock = (userId: number) => -1 - 2 * userId;
export const convSeqLock = (convId: number) => -2 - 2 * convId;

/**
 * Named statements (PostgreSQL plans each once per connection) on one
 * pooled connection, with a lazily opened transaction.
 *
 * A write operation's transaction is opened by its first statement that
 * writes, not up front: the reads before it run on their own, which under
 * READ COMMITTED (each statement sees what was committed when it started,
 * inside a transaction or not) shows them exactly what they would have seen
 * inside it, and plain reads take no row locks. An operation that turns out
 * to write nothing (a push ack for an event that is not a message, a request
 * refused after its checks) then costs no BEGIN and no COMMIT: two round
 * trips. `writes` counts the statements that wrote, so the store knows
 * whether an operation that failed left anything in the transaction.
 */
export class Sql {
  private mode: 'autocommit' | 'lazy' | 'open' = 'autocommit';
  /** Statements that write, run since the connection was taken. */
  writes = 0;
  /** Sequence heads under an advisory lock this transaction holds, by lock key (see the file's comment). */
  readonly held = new Map<number, number>();
  /** Conversation rows read inside the open transaction: cached once it commits (it may have created them). */
  readonly pendingConversations: ConversationRow[] = [];

  constructor(private readonly client: PoolClient) {}

  /** Statements from now on belong to a transaction, opened by the first one that writes. */
  beginLazily(): void {
    this.mode = 'lazy';
  }

  /**
   * Opens the transaction if it is not open yet. The connection pipelines
   * (postgres-store.ts): BEGIN goes out in the same write as the statement
   * after it, without a round trip of its own. Its own failure is not
   * awaited: BEGIN fails only when the connection does, and then so does
   * every statement behind it.
   */
  begin(): void {
    if (this.mode === 'open') return;
    this.mode = 'open';
    this.client.query('BEGIN').catch(() => undefined);
  }

  /** Whether statements now run inside an opened transaction (what they read may not be committed yet). */
  get inTransaction(): boolean {
    return this.mode === 'open';
  }

  /** Whether a BEGIN was sent (then COMMIT or ROLLBACK must follow); resets to autocommit. The transaction's locks go with it. */
  end(): boolean {
    const open = this.mode === 'open';
    this.mode = 'autocommit';
    this.held.clear();
    return open;
  }

  /**
   * Takes transaction-scoped advisory locks in the order given (opening the
   * transaction). A statement issued after this one sees every commit of the
   * locks' previous holders.
   */
  async lock(keys: readonly number[]): Promise<void> {
    if (this.mode === 'autocommit') throw new Error('sequence locks are taken inside a write transaction');
    // unnest yields the array in order and the volatile function runs once per row, in that order.
    await this.run('locks.take', 'SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k', [keys]);
  }

  private async run<T extends QueryResultRow>(name: string, text: string, values: unknown[]) {
    if (!isRead(name, text)) {
      if (this.mode === 'lazy') this.begin();
      this.writes++;
    }
    return this.client.query<T>({ name, text, values });
  }

  async rows<T extends QueryResultRow>(name: string, text: string, values: unknown[] = []): Promise<T[]> {
    return (await this.run<T>(name, text, values)).rows;
  }

  async one<T extends QueryResultRow>(name: string, text: string, values: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(name, text, values))[0];
  }

  async count(name: string, text: string, values: unknown[] = []): Promise<number> {
    return (await this.run(name, text, values)).rowCount ?? 0;
  }

  async ids(name: string, text: string, values: unknown[] = []): Promise<number[]> {
    return (await this.rows<{ id: number }>(name, text, values)).map((r) => r.id);
  }
}

class PgUsers implements UsersRepository {
  constructor(private readonly sql: Sql) {}
  async create(u: { username: string; passwordHash: string; nickname: string; now: number }) {
    const row = await this.sql.one<{ id: number }>(
      'users.create',
      'INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id',
      [u.username, u.passwordHash, u.nickname, u.now],
    );
    return row!.id;
  }
  byId(id: number) { return this.sql.one<UserRow>('users.byId', 'SELECT * FROM users WHERE id = $1', [id]); }
  byUsername(username: string) { return this.sql.one<UserRow>('users.byName', 'SELECT * FROM users WHERE username = $1', [username]); }
  list() { return this.sql.rows<UserRow>('users.list', 'SELECT * FROM users ORDER BY id'); }
  async setDisabled(id: number, disabled: boolean) {
    return (await this.sql.count('users.disable', 'UPDATE users SET disabled = $1 WHERE id = $2', [disabled ? 1 : 0, id])) > 0;
  }
  async disabledAmong(ids: readonly number[]) {
    if (ids.length === 0) return [];
    return this.sql.ids('users.disabledAmong', 'SELECT id FROM users WHERE disabled = 1 AND id = ANY($1::bigint[])', [ids]);
  }
  async setPasswordHash(id: number, hash: string) { await this.sql.count('users.password', 'UPDATE users SET password_hash = $1 WHERE id = $2', [hash, id]); }
  async updateProfile(id: number, f: { nickname: string; avatar: string; signature: string }, now: number) {
    await this.sql.count('users.profile', 'UPDATE users SET nickname = $1, avatar = $2, signature = $3, updated_at = $4 WHERE id = $5', [f.nickname, f.avatar, f.signature, now, id]);
  }
  async setLastSeen(id: number, at: number) { await this.sql.count('users.lastSeen', 'UPDATE users SET last_seen = $1 WHERE id = $2', [at, id]); }
  async setLastSeenPrivacy(id: number, visibility: number) {
    await this.sql.count('users.lastSeenPrivacy', 'UPDATE users SET last_seen_privacy = $1 WHERE id = $2', [visibility, id]);
  }
}

class PgSequences implements SequencesRepository {
  constructor(private readonly sql: Sql) {}
  async head(userId: number) {
    const held = this.sql.held.get(userSeqLock(userId));
    if (held !== undefined) return held;
    return (await this.sql.one<{ head: number }>('seqs.head', 'SELECT coalesce(max(seq), 0) AS head FROM events WHERE user_id = $1', [userId]))!.head;
  }
  async allocate(users: ReadonlyArray<readonly [number, number]>) {
    // Users this transaction does not hold yet: locked in the array's order (the caller sorts it), then their heads read.
    const fresh = users.filter(([id]) => !this.sql.held.has(userSeqLock(id))).map(([id]) => id);
    if (fresh.length > 0) {
      const [, rows] = await Promise.all([
        this.sql.lock(fresh.map(userSeqLock)),
        this.sql.rows<{ user_id: number; head: number }>(
          'seqs.heads',
          'SELECT u AS user_id, (SELECT coalesce(max(seq), 0) FROM events WHERE user_id = u) AS head FROM unnest($1::bigint[]) AS u',
          [fresh],
        ),
      ]);
      for (const r of rows) this.sql.held.set(userSeqLock(r.user_id), r.head);
    }
    return users.map(([id, count]) => {
      const key = userSeqLock(id);
      const first = this.sql.held.get(key)! + 1;
      this.sql.held.set(key, first + count - 1);
      return first;
    });
  }
}

class PgDevices implements DevicesRepository {
  constructor(private readonly sql: Sql) {}
  get(userId: number, deviceId: string) {
    return this.sql.one<DeviceRow>('devices.get', 'SELECT * FROM devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
  }
  async upsert(d: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array | null; now: number }) {
    await this.sql.count(
      'devices.upsert',
      `INSERT INTO devices (user_id, device_id, device_name, platform, token_hash, created_at, last_login, last_active) VALUES ($1, $2, $3, $4, $5, $6, $6, $6)
       ON CONFLICT (user_id, device_id) DO UPDATE SET device_name = excluded.device_name, platform = excluded.platform, token_hash = excluded.token_hash,
       last_login = excluded.last_login, last_active = excluded.last_active`,
      [d.userId, d.deviceId, d.deviceName, d.platform, bytes(d.tokenHash), d.now],
    );
  }
  async renew(d: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array; now: number }) {
    // Comparing SHA-256 digests in SQL tells nothing about the token by its timing (what the digest starts with is no help in finding one).
    const n = await this.sql.count(
      'devices.renew',
      `UPDATE devices SET device_name = $3, platform = $4, last_login = $6, last_active = $6 WHERE user_id = $1 AND device_id = $2 AND token_hash = $5`,
      [d.userId, d.deviceId, d.deviceName, d.platform, bytes(d.tokenHash), d.now],
    );
    return n > 0;
  }
  signedIn(userId: number) {
    return this.sql.rows<DeviceRow>('devices.signedIn', 'SELECT * FROM devices WHERE user_id = $1 AND token_hash IS NOT NULL', [userId]);
  }
  async touch(userId: number, deviceId: string, now: number) {
    await this.sql.count('devices.touch', 'UPDATE devices SET last_active = greatest(last_active, $1) WHERE user_id = $2 AND device_id = $3', [now, userId, deviceId]);
  }
  async revokeToken(userId: number, deviceId: string) {
    await this.sql.count('devices.revoke', 'UPDATE devices SET token_hash = NULL WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
  }
  async revokeAll(userId: number) { await this.sql.count('devices.revokeAll', 'UPDATE devices SET token_hash = NULL WHERE user_id = $1', [userId]); }
}

class PgConversationSettings implements ConversationSettingsRepository {
  constructor(private readonly sql: Sql) {}
  get(userId: number, convType: number, targetId: number) {
    return this.sql.one<ConversationSettingsRow>(
      'convSettings.get',
      'SELECT * FROM conversation_settings WHERE user_id = $1 AND conv_type = $2 AND target_id = $3',
      [userId, convType, targetId],
    );
  }
  async put(r: ConversationSettingsRow) {
    await this.sql.count(
      'convSettings.put',
      `INSERT INTO conversation_settings (user_id, conv_type, target_id, pinned, muted_until, marked_unread, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (user_id, conv_type, target_id) DO UPDATE SET pinned = excluded.pinned, muted_until = excluded.muted_until,
       marked_unread = excluded.marked_unread, updated_at = excluded.updated_at`,
      [r.user_id, r.conv_type, r.target_id, r.pinned, r.muted_until, r.marked_unread, r.updated_at],
    );
  }
}

class PgEvents implements EventsRepository {
  constructor(private readonly sql: Sql) {}
  async insert(rows: readonly EventRow[]) {
    if (rows.length === 0) return;
    // One statement for all of an operation's events (a group message: one row per member).
    await this.sql.count(
      'events.insert',
      'INSERT INTO events (user_id, seq, domain, ref, body) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[], $4::bigint[], $5::bytea[])',
      [rows.map((r) => r.user_id), rows.map((r) => r.seq), rows.map((r) => r.domain), rows.map((r) => r.ref), rows.map((r) => bytes(r.body))],
    );
  }
  list(userId: number, after: number, limit: number, domains: readonly number[]) {
    if (domains.length === 0) {
      return this.sql.rows<EventRow>('events.list', 'SELECT * FROM events WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [userId, after, limit]);
    }
    if (!domains.includes(1)) {
      // Not the messages domain: the partial index events_other_domains (migration 3) serves it.
      return this.sql.rows<EventRow>(
        'events.listOtherDomains',
        'SELECT * FROM events WHERE user_id = $1 AND seq > $2 AND domain = ANY($3::smallint[]) AND domain <> 1 ORDER BY seq LIMIT $4',
        [userId, after, domains, limit],
      );
    }
    return this.sql.rows<EventRow>(
      'events.listDomains',
      'SELECT * FROM events WHERE user_id = $1 AND seq > $2 AND domain = ANY($3::smallint[]) ORDER BY seq LIMIT $4',
      [userId, after, domains, limit],
    );
  }
}

/**
 * Conversation rows, shared by a store's connections. A row never changes
 * once it exists (id, kind, its users or group; the sequence is in the
 * messages, migration 10) and is never deleted, so every node may keep the
 * rows it has seen: a send reads its conversation from here instead of the
 * database. Only committed rows are kept: a row read inside a transaction
 * waits for its COMMIT (that transaction may have created it and roll back).
 * Bounded: past `max` rows per map the older half is forgotten.
 */
export class ConversationCache {
  private byId = new Map<number, ConversationRow>();
  private old = new Map<number, ConversationRow>();
  private readonly byPair = new Map<string, number>();
  private readonly byGroup = new Map<number, number>();

  constructor(private readonly max = 100_000) {}

  get(id: number): ConversationRow | undefined {
    return this.byId.get(id) ?? this.old.get(id);
  }
  direct(lo: number, hi: number): ConversationRow | undefined {
    const id = this.byPair.get(`${lo}:${hi}`);
    return id === undefined ? undefined : this.get(id);
  }
  group(groupId: number): ConversationRow | undefined {
    const id = this.byGroup.get(groupId);
    return id === undefined ? undefined : this.get(id);
  }
  put(row: ConversationRow): void {
    if (this.byId.size >= this.max) {
      // A new generation; the keys of the forgotten one are dropped with it (a lookup through them finds no row).
      this.old = this.byId;
      this.byId = new Map();
      for (const [key, id] of this.byPair) if (!this.old.has(id)) this.byPair.delete(key);
      for (const [key, id] of this.byGroup) if (!this.old.has(id)) this.byGroup.delete(key);
    }
    this.byId.set(row.id, row);
    if (row.user_lo !== null && row.user_hi !== null) this.byPair.set(`${row.user_lo}:${row.user_hi}`, row.id);
    if (row.group_id !== null) this.byGroup.set(row.group_id, row.id);
  }
}

class PgConversations implements ConversationsRepository {
  constructor(
    private readonly sql: Sql,
    private readonly cache: ConversationCache,
  ) {}
  private seen(row: ConversationRow | undefined): ConversationRow | undefined {
    if (row) {
      if (this.sql.inTransaction) this.sql.pendingConversations.push(row);
      else this.cache.put(row);
    }
    return row;
  }
  async direct(a: number, b: number) {
    const [lo, hi] = [Math.min(a, b), Math.max(a, b)];
    return this.cache.direct(lo, hi) ?? this.seen(await this.sql.one<ConversationRow>('convs.direct', 'SELECT id, kind, user_lo, user_hi, group_id FROM conversations WHERE user_lo = $1 AND user_hi = $2', [lo, hi]));
  }
  async ensureDirect(a: number, b: number): Promise<ConversationRow> {
    const found = await this.direct(a, b);
    if (found) return found;
    // A concurrent first message between the same two users waits here for the other insert, then finds its row.
    await this.sql.count(
      'convs.insertDirect',
      `INSERT INTO conversations (kind, user_lo, user_hi) VALUES (${ConversationKind.DIRECT}, $1, $2) ON CONFLICT DO NOTHING`,
      [Math.min(a, b), Math.max(a, b)],
    );
    return (await this.direct(a, b))!;
  }
  async group(groupId: number) {
    return this.cache.group(groupId) ?? this.seen(await this.sql.one<ConversationRow>('convs.group', 'SELECT id, kind, user_lo, user_hi, group_id FROM conversations WHERE group_id = $1', [groupId]));
  }
  async ensureGroup(groupId: number): Promise<ConversationRow> {
    const found = await this.group(groupId);
    if (found) return found;
    await this.sql.count('convs.insertGroup', `INSERT INTO conversations (kind, group_id) VALUES (${ConversationKind.GROUP}, $1) ON CONFLICT DO NOTHING`, [groupId]);
    return (await this.group(groupId))!;
  }
  async byId(id: number) {
    return this.cache.get(id) ?? this.seen(await this.sql.one<ConversationRow>('convs.byId', 'SELECT id, kind, user_lo, user_hi, group_id FROM conversations WHERE id = $1', [id]));
  }
  async nextSeq(convId: number) {
    // Locked, then read in a later statement (see the file's comment); later sends of the batch count on from memory.
    const key = convSeqLock(convId);
    let head = this.sql.held.get(key);
    if (head === undefined) [, head] = await Promise.all([this.sql.lock([key]), this.readHead(convId)]);
    this.sql.held.set(key, head + 1);
    return head + 1;
  }
  async seqHead(convId: number) {
    return this.sql.held.get(convSeqLock(convId)) ?? this.readHead(convId);
  }
  private async readHead(convId: number) {
    return (await this.sql.one<{ head: number }>('convs.head', 'SELECT coalesce(max(conv_seq), 0) AS head FROM messages WHERE conv_id = $1', [convId]))!.head;
  }
}

class PgMessages implements MessagesRepository {
  constructor(private readonly sql: Sql) {}
  async insert(m: Omit<MessageRow, 'id' | 'recalled_by'>) {
    const row = await this.sql.one<{ id: number }>(
      'messages.insert',
      `INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, mentions, reply_to, sender_seq, attachments)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [m.conv_id, m.conv_seq, m.sender_id, m.client_msg_id, m.sent_at, m.text, m.mentions, m.reply_to, m.sender_seq, bytes(m.attachments ?? null)],
    );
    return row!.id;
  }
  byId(id: number) { return this.sql.one<MessageRow>('messages.byId', 'SELECT * FROM messages WHERE id = $1', [id]); }
  bySenderClientId(senderId: number, clientMsgId: string) {
    return this.sql.one<MessageRow>('messages.byClient', 'SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2', [senderId, clientMsgId]);
  }
  deliveryRef(userId: number, seq: number) {
    return this.sql.one<{ conv_id: number; conv_seq: number; sender_id: number }>(
      'messages.deliveryRef',
      'SELECT m.conv_id, m.conv_seq, m.sender_id FROM events e JOIN messages m ON m.id = e.ref WHERE e.user_id = $1 AND e.seq = $2 AND e.ref <> 0',
      [userId, seq],
    );
  }
  async recall(id: number, by: number) { await this.sql.count('messages.recall', "UPDATE messages SET recalled_by = $1, text = '', mentions = '', attachments = NULL WHERE id = $2", [by, id]); }
  async edit(id: number, text: string, mentions: string, editedAt: number) {
    await this.sql.count('messages.edit', 'UPDATE messages SET text = $1, mentions = $2, edited_at = $3 WHERE id = $4', [text, mentions, editedAt, id]);
  }
  async bumpReactionRev(id: number) {
    return (await this.sql.one<{ reaction_rev: number }>('messages.bumpRev', 'UPDATE messages SET reaction_rev = reaction_rev + 1 WHERE id = $1 RETURNING reaction_rev', [id]))!.reaction_rev;
  }
  readStates(convId: number) {
    return this.sql.rows<ReadStateRow>('readState.all', 'SELECT * FROM read_state WHERE conv_id = $1', [convId]);
  }
  readState(convId: number, userId: number) {
    return this.sql.one<ReadStateRow>('readState.get', 'SELECT * FROM read_state WHERE conv_id = $1 AND user_id = $2', [convId, userId]);
  }
  async advanceDelivered(convId: number, userId: number, seq: number) {
    const n = await this.sql.count(
      'readState.delivered',
      `INSERT INTO read_state (conv_id, user_id, delivered_seq) VALUES ($1, $2, $3)
       ON CONFLICT (conv_id, user_id) DO UPDATE SET delivered_seq = excluded.delivered_seq WHERE read_state.delivered_seq < excluded.delivered_seq`,
      [convId, userId, seq],
    );
    return n > 0;
  }
  async advanceRead(convId: number, userId: number, seq: number) {
    const n = await this.sql.count(
      'readState.read',
      `INSERT INTO read_state (conv_id, user_id, delivered_seq, read_seq) VALUES ($1, $2, $3, $3)
       ON CONFLICT (conv_id, user_id) DO UPDATE SET read_seq = excluded.read_seq, delivered_seq = greatest(read_state.delivered_seq, excluded.read_seq)
       WHERE read_state.read_seq < excluded.read_seq`,
      [convId, userId, seq],
    );
    return n > 0;
  }
}

class PgFriends implements FriendsRepository {
  constructor(private readonly sql: Sql) {}
  get(userId: number, friendId: number) { return this.sql.one<FriendRow>('friends.get', 'SELECT * FROM friends WHERE user_id = $1 AND friend_id = $2', [userId, friendId]); }
  async set(userId: number, friendId: number, state: number, since: number) {
    await this.sql.count(
      'friends.set',
      `INSERT INTO friends (user_id, friend_id, state, since) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, friend_id) DO UPDATE SET state = excluded.state, since = excluded.since`,
      [userId, friendId, state, since],
    );
  }
  ids(userId: number, state: number) {
    return this.sql.ids('friends.ids', 'SELECT friend_id AS id FROM friends WHERE user_id = $1 AND state = $2 ORDER BY friend_id', [userId, state]);
  }
  request(id: number) { return this.sql.one<FriendRequestRow>('requests.get', 'SELECT * FROM friend_requests WHERE id = $1', [id]); }
  pendingBetween(a: number, b: number) {
    return this.sql.one<FriendRequestRow>(
      'requests.pending',
      'SELECT * FROM friend_requests WHERE state = 1 AND ((from_id = $1 AND to_id = $2) OR (from_id = $2 AND to_id = $1)) LIMIT 1',
      [a, b],
    );
  }
  async createRequest(fromId: number, toId: number, message: string, now: number) {
    const row = await this.sql.one<{ id: number }>(
      'requests.create',
      'INSERT INTO friend_requests (from_id, to_id, message, state, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4) RETURNING id',
      [fromId, toId, message, now],
    );
    return row!.id;
  }
  async setRequestState(id: number, state: number, now: number) {
    await this.sql.count('requests.setState', 'UPDATE friend_requests SET state = $1, updated_at = $2 WHERE id = $3', [state, now, id]);
  }
}

class PgGroups implements GroupsRepository {
  constructor(private readonly sql: Sql) {}
  async create(name: string, ownerId: number, now: number) {
    const row = await this.sql.one<{ id: number }>(
      'groups.create',
      'INSERT INTO groups (name, owner_id, member_count, created_at, updated_at) VALUES ($1, $2, 0, $3, $3) RETURNING id',
      [name, ownerId, now],
    );
    return row!.id;
  }
  byId(id: number) { return this.sql.one<GroupRow>('groups.byId', 'SELECT * FROM groups WHERE id = $1', [id]); }
  async update(g: GroupRow) {
    await this.sql.count(
      'groups.update',
      'UPDATE groups SET name = $1, owner_id = $2, member_count = $3, dissolved = $4, updated_at = $5 WHERE id = $6',
      [g.name, g.owner_id, g.member_count, g.dissolved, g.updated_at, g.id],
    );
  }
  member(groupId: number, userId: number) {
    return this.sql.one<GroupMemberRow>('members.get', 'SELECT * FROM group_members WHERE group_id = $1 AND user_id = $2', [groupId, userId]);
  }
  async addMember(groupId: number, userId: number, role: number, now: number) {
    await this.sql.count('members.add', 'INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)', [groupId, userId, role, now]);
  }
  async removeMember(groupId: number, userId: number) {
    await this.sql.count('members.remove', 'DELETE FROM group_members WHERE group_id = $1 AND user_id = $2', [groupId, userId]);
  }
  async setRole(groupId: number, userId: number, role: number) {
    await this.sql.count('members.role', 'UPDATE group_members SET role = $1 WHERE group_id = $2 AND user_id = $3', [role, groupId, userId]);
  }
  memberIds(groupId: number) { return this.sql.ids('members.ids', 'SELECT user_id AS id FROM group_members WHERE group_id = $1 ORDER BY user_id', [groupId]); }
  members(groupId: number, afterUserId: number, limit: number) {
    return this.sql.rows<GroupMemberRow>('members.page', 'SELECT * FROM group_members WHERE group_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3', [groupId, afterUserId, limit]);
  }
  coMemberIds(userId: number) {
    return this.sql.ids(
      'members.co',
      'SELECT DISTINCT b.user_id AS id FROM group_members a JOIN group_members b ON b.group_id = a.group_id WHERE a.user_id = $1 AND b.user_id <> a.user_id',
      [userId],
    );
  }
  async areCoMembers(a: number, b: number) {
    const row = await this.sql.one(
      'members.areCo',
      'SELECT 1 FROM group_members a JOIN group_members b ON b.group_id = a.group_id WHERE a.user_id = $1 AND b.user_id = $2 LIMIT 1',
      [a, b],
    );
    return row !== undefined;
  }
}

/** The repositories over one pooled connection (inside BEGIN ... COMMIT for writes). */
class PgReactions implements ReactionsRepository {
  constructor(private readonly sql: Sql) {}
  list(msgId: number) { return this.sql.rows<ReactionRow>('reactions.list', 'SELECT * FROM reactions WHERE msg_id = $1 ORDER BY at, user_id', [msgId]); }
  async add(r: ReactionRow) {
    return (await this.sql.count('reactions.add', 'INSERT INTO reactions (msg_id, user_id, emoji, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [r.msg_id, r.user_id, r.emoji, r.at])) > 0;
  }
  async remove(msgId: number, userId: number, emoji: string) {
    return (await this.sql.count('reactions.remove', 'DELETE FROM reactions WHERE msg_id = $1 AND user_id = $2 AND emoji = $3', [msgId, userId, emoji])) > 0;
  }
}

class PgBlobs implements BlobsRepository {
  constructor(private readonly sql: Sql) {}
  get(digest: string) { return this.sql.one<BlobRow>('blobs.get', 'SELECT * FROM blobs WHERE digest = $1', [digest]); }
  async add(b: BlobRow) {
    await this.sql.count('blobs.add', 'INSERT INTO blobs (digest, size, uploader_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING', [b.digest, b.size, b.uploader_id, b.created_at]);
  }
  async usage(userId: number) {
    return (await this.sql.one<{ n: number }>('blobs.usage', 'SELECT coalesce(sum(size), 0)::bigint AS n FROM blobs WHERE uploader_id = $1', [userId]))!.n;
  }
  async canRead(userId: number, digest: string) {
    // The uploader, or a member of a conversation with a live message carrying the blob (direct: either side; group: a current member).
    const row = await this.sql.one(
      'blobs.canRead',
      `SELECT 1 FROM blobs WHERE digest = $2 AND uploader_id = $1
       UNION ALL
       SELECT 1 FROM message_blobs mb
         JOIN messages m ON m.id = mb.msg_id AND m.recalled_by = 0
         JOIN conversations c ON c.id = m.conv_id
       WHERE mb.digest = $2 AND (
         c.user_lo = $1 OR c.user_hi = $1
         OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = c.group_id AND gm.user_id = $1 AND gm.role > 0))
       LIMIT 1`,
      [userId, digest],
    );
    return row !== undefined;
  }
  async unreferenced(before: number, limit: number) {
    const rows = await this.sql.rows<{ digest: string }>(
      'blobs.unreferenced',
      `SELECT b.digest FROM blobs b WHERE b.created_at < $1 AND NOT EXISTS (
         SELECT 1 FROM message_blobs mb JOIN messages m ON m.id = mb.msg_id AND m.recalled_by = 0 WHERE mb.digest = b.digest)
       LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.digest);
  }
  async expired(before: number, limit: number) {
    const rows = await this.sql.rows<{ digest: string }>(
      'blobs.expired',
      'SELECT mb.digest FROM message_blobs mb JOIN messages m ON m.id = mb.msg_id GROUP BY mb.digest HAVING max(m.sent_at) < $1 LIMIT $2',
      [before, limit],
    );
    return rows.map((r) => r.digest);
  }
  async remove(digests: readonly string[]) {
    await this.sql.count('blobs.removeRefs', 'DELETE FROM message_blobs WHERE digest = ANY($1::text[])', [digests]);
    await this.sql.count('blobs.remove', 'DELETE FROM blobs WHERE digest = ANY($1::text[])', [digests]);
  }
  async addReferences(msgId: number, digests: readonly string[]) {
    await this.sql.count('blobs.addRefs', 'INSERT INTO message_blobs (digest, msg_id) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [digests, msgId]);
  }
}

export class PgTx implements Tx {
  readonly users: UsersRepository;
  readonly sequences: SequencesRepository;
  readonly devices: DevicesRepository;
  readonly conversationSettings: ConversationSettingsRepository;
  readonly events: EventsRepository;
  readonly conversations: ConversationsRepository;
  readonly messages: MessagesRepository;
  readonly reactions: ReactionsRepository;
  readonly friends: FriendsRepository;
  readonly groups: GroupsRepository;
  readonly blobs: BlobsRepository;

  readonly sql: Sql;

  constructor(
    client: PoolClient,
    private readonly conversationCache = new ConversationCache(),
  ) {
    const sql = (this.sql = new Sql(client));
    this.users = new PgUsers(sql);
    this.sequences = new PgSequences(sql);
    this.devices = new PgDevices(sql);
    this.conversationSettings = new PgConversationSettings(sql);
    this.events = new PgEvents(sql);
    this.conversations = new PgConversations(sql, conversationCache);
    this.messages = new PgMessages(sql);
    this.reactions = new PgReactions(sql);
    this.friends = new PgFriends(sql);
    this.groups = new PgGroups(sql);
    this.blobs = new PgBlobs(sql);
  }

  /** The transaction ended (`end()` was called): what it read is kept if it committed, forgotten if not. */
  settle(committed: boolean): void {
    if (committed) for (const row of this.sql.pendingConversations) this.conversationCache.put(row);
    this.sql.pendingConversations.length = 0;
  }
}
