/**
 * The repositories of a SQLite transaction: prepared statements on one
 * better-sqlite3 connection. The methods are async to fit the contract
 * (store.ts) that PostgreSQL shares; they run synchronously underneath, and
 * only the thread that owns the connection calls them (sqlite-store.ts
 * serialises every operation).
 *
 * The rows a send needs (friendships, conversations, sequence heads, where
 * a message event points) are also kept in a `SqliteCache` that these
 * repositories update as they write: see sqlite-cache.ts for why it stays
 * exact.
 */
import type { Database, Statement } from 'better-sqlite3';
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
import type { CachedMap, SqliteCache } from './sqlite-cache';

/** Entries per cached table (an entry is a few dozen bytes; the oldest are forgotten first). */
const CACHE_LIMIT = 200_000;

/**
 * The cache key of a pair of ids (user and friend, the two users of a conversation, user and sequence): one
 * number while both are integers below 2^26 (at most 2^52, exact), so no string is built and hashed per
 * lookup; a string otherwise (never equal to a number, so the two forms cannot collide).
 */
export function pairKey(a: number, b: number): number | string {
  // `x & 0x3ffffff` equals x only for an integer in [0, 2^26).
  return (a & 0x3ffffff) === a && (b & 0x3ffffff) === b ? a * 0x4000000 + b : `${a},${b}`;
}

function one<T>(stmt: Statement, ...params: unknown[]): T | undefined {
  return stmt.get(...params) as T | undefined;
}

function all<T>(stmt: Statement, ...params: unknown[]): T[] {
  return stmt.all(...params) as T[];
}

function pluckIds(stmt: Statement, ...params: unknown[]): number[] {
  return stmt.pluck().all(...params) as number[];
}

class SqliteUsers implements UsersRepository {
  private s;
  constructor(db: Database) {
    this.s = {
      insert: db.prepare('INSERT INTO users (username, password_hash, nickname, created_at, updated_at) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare('SELECT * FROM users WHERE id = ?'),
      byName: db.prepare('SELECT * FROM users WHERE username = ?'),
      list: db.prepare('SELECT * FROM users ORDER BY id'),
      disable: db.prepare('UPDATE users SET disabled = ? WHERE id = ?'),
      disabledAmong: db.prepare('SELECT id FROM users WHERE disabled = 1 AND id IN (SELECT value FROM json_each(?))').pluck(),
      password: db.prepare('UPDATE users SET password_hash = ? WHERE id = ?'),
      profile: db.prepare('UPDATE users SET nickname = ?, avatar = ?, signature = ?, updated_at = ? WHERE id = ?'),
      lastSeen: db.prepare('UPDATE users SET last_seen = ? WHERE id = ?'),
      lastSeenPrivacy: db.prepare('UPDATE users SET last_seen_privacy = ? WHERE id = ?'),
    };
  }
  async create(u: { username: string; passwordHash: string; nickname: string; now: number }) {
    return Number(this.s.insert.run(u.username, u.passwordHash, u.nickname, u.now, u.now).lastInsertRowid);
  }
  async byId(id: number) { return one<UserRow>(this.s.byId, id); }
  async byUsername(username: string) { return one<UserRow>(this.s.byName, username); }
  async list() { return all<UserRow>(this.s.list); }
  async setDisabled(id: number, disabled: boolean) { return this.s.disable.run(disabled ? 1 : 0, id).changes > 0; }
  async disabledAmong(ids: readonly number[]) { return ids.length === 0 ? [] : (this.s.disabledAmong.all(JSON.stringify(ids)) as number[]); }
  async setPasswordHash(id: number, hash: string) { this.s.password.run(hash, id); }
  async updateProfile(id: number, f: { nickname: string; avatar: string; signature: string }, now: number) {
    this.s.profile.run(f.nickname, f.avatar, f.signature, now, id);
  }
  async setLastSeen(id: number, at: number) { this.s.lastSeen.run(at, id); }
  async setLastSeenPrivacy(id: number, visibility: number) { this.s.lastSeenPrivacy.run(visibility, id); }
}

/**
 * Sequences are max(seq) + 1 of the user's events, read inside the write
 * transaction: the single writer makes that atomic, and it writes nothing
 * (no counter row rewritten per event). The head is cached (`heads`, shared
 * with SqliteEvents, which raises it on every insert); a sequence handed out
 * raises it at once, and the operation inserts its events before it ends (or
 * rolls back, and the cache with it).
 */
class SqliteSequences implements SequencesRepository {
  private s;
  constructor(
    db: Database,
    private readonly heads: CachedMap<number, number>,
  ) {
    this.s = { head: db.prepare('SELECT coalesce(max(seq), 0) FROM events WHERE user_id = ?').pluck() };
  }
  async head(userId: number) { return this.current(userId); }
  async allocate(users: ReadonlyArray<readonly [number, number]>) {
    const firsts: number[] = [];
    for (const [userId, count] of users) {
      const last = this.current(userId);
      firsts.push(last + 1);
      this.heads.set(userId, last + count);
    }
    return firsts;
  }
  private current(userId: number): number {
    return this.heads.get(userId) ?? this.heads.set(userId, this.s.head.get(userId) as number);
  }
}

class SqliteDevices implements DevicesRepository {
  private s;
  constructor(db: Database) {
    this.s = {
      get: db.prepare('SELECT * FROM devices WHERE user_id = ? AND device_id = ?'),
      upsert: db.prepare(`INSERT INTO devices (user_id, device_id, device_name, platform, token_hash, created_at, last_login, last_active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (user_id, device_id) DO UPDATE SET device_name = excluded.device_name, platform = excluded.platform, token_hash = excluded.token_hash,
        last_login = excluded.last_login, last_active = excluded.last_active`),
      renew: db.prepare('UPDATE devices SET device_name = ?, platform = ?, last_login = ?, last_active = ? WHERE user_id = ? AND device_id = ? AND token_hash = ?'),
      revoke: db.prepare('UPDATE devices SET token_hash = NULL WHERE user_id = ? AND device_id = ?'),
      revokeAll: db.prepare('UPDATE devices SET token_hash = NULL WHERE user_id = ?'),
      signedIn: db.prepare('SELECT * FROM devices WHERE user_id = ? AND token_hash IS NOT NULL'),
      touch: db.prepare('UPDATE devices SET last_active = max(last_active, ?) WHERE user_id = ? AND device_id = ?'),
    };
  }
  async get(userId: number, deviceId: string) { return one<DeviceRow>(this.s.get, userId, deviceId); }
  async upsert(d: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array | null; now: number }) {
    this.s.upsert.run(d.userId, d.deviceId, d.deviceName, d.platform, d.tokenHash, d.now, d.now, d.now);
  }
  async renew(d: { userId: number; deviceId: string; deviceName: string; platform: string; tokenHash: Uint8Array; now: number }) {
    return this.s.renew.run(d.deviceName, d.platform, d.now, d.now, d.userId, d.deviceId, d.tokenHash).changes > 0;
  }
  async revokeToken(userId: number, deviceId: string) { this.s.revoke.run(userId, deviceId); }
  async revokeAll(userId: number) { this.s.revokeAll.run(userId); }
  async signedIn(userId: number) { return all<DeviceRow>(this.s.signedIn, userId); }
  async touch(userId: number, deviceId: string, now: number) { this.s.touch.run(now, userId, deviceId); }
}

class SqliteConversationSettings implements ConversationSettingsRepository {
  private s;
  constructor(db: Database) {
    this.s = {
      get: db.prepare('SELECT * FROM conversation_settings WHERE user_id = ? AND conv_type = ? AND target_id = ?'),
      put: db.prepare(`INSERT INTO conversation_settings (user_id, conv_type, target_id, pinned, muted_until, marked_unread, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (user_id, conv_type, target_id) DO UPDATE SET pinned = excluded.pinned, muted_until = excluded.muted_until,
        marked_unread = excluded.marked_unread, updated_at = excluded.updated_at`),
    };
  }
  async get(userId: number, convType: number, targetId: number) { return one<ConversationSettingsRow>(this.s.get, userId, convType, targetId); }
  async put(r: ConversationSettingsRow) { this.s.put.run(r.user_id, r.conv_type, r.target_id, r.pinned, r.muted_until, r.marked_unread, r.updated_at); }
}

/** SyncDomain.MESSAGES: its events are not in the per-domain index. */
const MESSAGES_DOMAIN = 1;

/** A message event's message, as a PUSH_ACK needs it (`deliveryRef`); null: the event is not a message. */
type DeliveryRef = { conv_id: number; conv_seq: number; sender_id: number } | null;

/** What the events and messages repositories cache between them. */
interface MessageCaches {
  /** Latest sequence per user. */
  heads: CachedMap<number, number>;
  /** Latest conv_seq per conversation. */
  convHeads: CachedMap<number, number>;
  /** Message id -> its delivery ref, for messages inserted while the server runs. */
  messageRefs: CachedMap<number, DeliveryRef>;
  /** pairKey(user, seq) -> the event's delivery ref. */
  eventRefs: CachedMap<number | string, DeliveryRef>;
}

class SqliteEvents implements EventsRepository {
  private s;
  private byDomains = new Map<string, Statement>();
  constructor(
    private db: Database,
    private readonly c: MessageCaches,
  ) {
    this.s = {
      insert: db.prepare('INSERT INTO events (user_id, seq, domain, ref, body) VALUES (?, ?, ?, ?, ?)'),
      list: db.prepare('SELECT * FROM events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
    };
  }
  async insert(rows: readonly EventRow[]) {
    const { heads, messageRefs, eventRefs } = this.c;
    for (const r of rows) {
      this.s.insert.run(r.user_id, r.seq, r.domain, r.ref, r.body);
      if ((heads.get(r.user_id) ?? 0) < r.seq) heads.set(r.user_id, r.seq);
      // The PUSH_ACK of this event will ask where it points; known now when the message was just written.
      const ref = r.ref === 0 ? null : messageRefs.get(r.ref);
      if (ref !== undefined) eventRefs.set(pairKey(r.user_id, r.seq), ref);
    }
  }
  async list(userId: number, after: number, limit: number, domains: readonly number[]): Promise<EventRow[]> {
    if (domains.length === 0) return all<EventRow>(this.s.list, userId, after, limit);
    // Without the messages domain, the partial index events_other_domains (migration 5) serves it. Named: without
    // ANALYZE statistics SQLite's planner would walk the primary key through every message event instead.
    const others = !domains.includes(MESSAGES_DOMAIN);
    const key = `${domains.length}${others ? 'o' : 'm'}`;
    let stmt = this.byDomains.get(key);
    if (!stmt) {
      const marks = domains.map(() => '?').join(', ');
      stmt = this.db.prepare(
        others
          ? `SELECT * FROM events INDEXED BY events_other_domains WHERE user_id = ? AND seq > ? AND domain IN (${marks}) AND domain <> ${MESSAGES_DOMAIN} ORDER BY seq LIMIT ?`
          : `SELECT * FROM events WHERE user_id = ? AND seq > ? AND domain IN (${marks}) ORDER BY seq LIMIT ?`,
      );
      this.byDomains.set(key, stmt);
    }
    return all<EventRow>(stmt, userId, after, ...domains, limit);
  }
}

/** Conversation rows never change once inserted, so they are cached by each key they are looked up by. */
class SqliteConversations implements ConversationsRepository {
  private s;
  private readonly byPair: CachedMap<number | string, ConversationRow>;
  private readonly byGroup: CachedMap<number, ConversationRow>;
  private readonly byKey: CachedMap<number, ConversationRow>;
  constructor(
    db: Database,
    cache: SqliteCache,
    private readonly heads: CachedMap<number, number>,
  ) {
    this.byPair = cache.map(CACHE_LIMIT);
    this.byGroup = cache.map(CACHE_LIMIT);
    this.byKey = cache.map(CACHE_LIMIT);
    this.s = {
      direct: db.prepare('SELECT * FROM conversations WHERE user_lo = ? AND user_hi = ?'),
      insertDirect: db.prepare(`INSERT INTO conversations (kind, user_lo, user_hi) VALUES (${ConversationKind.DIRECT}, ?, ?)`),
      group: db.prepare('SELECT * FROM conversations WHERE group_id = ?'),
      insertGroup: db.prepare(`INSERT INTO conversations (kind, group_id) VALUES (${ConversationKind.GROUP}, ?)`),
      byId: db.prepare('SELECT * FROM conversations WHERE id = ?'),
      head: db.prepare('SELECT coalesce(max(conv_seq), 0) FROM messages WHERE conv_id = ?').pluck(),
    };
  }
  async direct(a: number, b: number) {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    return this.byPair.get(pairKey(lo, hi)) ?? this.remember(one<ConversationRow>(this.s.direct, lo, hi));
  }
  async ensureDirect(a: number, b: number): Promise<ConversationRow> {
    const found = await this.direct(a, b);
    if (found) return found;
    this.s.insertDirect.run(Math.min(a, b), Math.max(a, b));
    return (await this.direct(a, b))!;
  }
  async group(groupId: number) { return this.byGroup.get(groupId) ?? this.remember(one<ConversationRow>(this.s.group, groupId)); }
  async ensureGroup(groupId: number): Promise<ConversationRow> {
    const found = await this.group(groupId);
    if (found) return found;
    this.s.insertGroup.run(groupId);
    return (await this.group(groupId))!;
  }
  async byId(id: number) { return this.byKey.get(id) ?? this.remember(one<ConversationRow>(this.s.byId, id)); }
  async nextSeq(convId: number) { return this.currentSeq(convId) + 1; }
  async seqHead(convId: number) { return this.currentSeq(convId); }
  private currentSeq(convId: number): number { return this.heads.get(convId) ?? this.heads.set(convId, this.s.head.get(convId) as number); }
  /** Caches a row found by any of its keys under all of them (not-found is not cached: the row may be inserted). */
  private remember(row: ConversationRow | undefined): ConversationRow | undefined {
    if (!row) return undefined;
    this.byKey.set(row.id, row);
    if (row.group_id !== null) this.byGroup.set(row.group_id, row);
    else this.byPair.set(pairKey(row.user_lo!, row.user_hi!), row);
    return row;
  }
}

class SqliteMessages implements MessagesRepository {
  private s;
  constructor(
    db: Database,
    private readonly c: MessageCaches,
  ) {
    this.s = {
      insert: db.prepare(`INSERT INTO messages (conv_id, conv_seq, sender_id, client_msg_id, sent_at, text, mentions, reply_to, sender_seq, attachments)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      byId: db.prepare('SELECT * FROM messages WHERE id = ?'),
      byClient: db.prepare('SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?'),
      deliveryRef: db.prepare('SELECT m.conv_id, m.conv_seq, m.sender_id FROM events e JOIN messages m ON m.id = e.ref WHERE e.user_id = ? AND e.seq = ? AND e.ref <> 0'),
      recall: db.prepare("UPDATE messages SET recalled_by = ?, text = '', mentions = '', attachments = NULL WHERE id = ?"),
      edit: db.prepare('UPDATE messages SET text = ?, mentions = ?, edited_at = ? WHERE id = ?'),
      bumpRev: db.prepare('UPDATE messages SET reaction_rev = reaction_rev + 1 WHERE id = ? RETURNING reaction_rev').pluck(),
      state: db.prepare('SELECT * FROM read_state WHERE conv_id = ? AND user_id = ?'),
      states: db.prepare('SELECT * FROM read_state WHERE conv_id = ?'),
      delivered: db.prepare(`INSERT INTO read_state (conv_id, user_id, delivered_seq) VALUES (?, ?, ?)
        ON CONFLICT (conv_id, user_id) DO UPDATE SET delivered_seq = excluded.delivered_seq WHERE excluded.delivered_seq > delivered_seq`),
      read: db.prepare(`INSERT INTO read_state (conv_id, user_id, delivered_seq, read_seq) VALUES (?, ?, ?, ?)
        ON CONFLICT (conv_id, user_id) DO UPDATE SET read_seq = excluded.read_seq, delivered_seq = max(delivered_seq, excluded.read_seq)
        WHERE excluded.read_seq > read_seq`),
    };
  }
  async insert(m: Omit<MessageRow, 'id' | 'recalled_by'>) {
    // Positional parameters: binding by name from an object costs a lookup per column on every send.
    const id = Number(this.s.insert.run(m.conv_id, m.conv_seq, m.sender_id, m.client_msg_id, m.sent_at, m.text, m.mentions, m.reply_to, m.sender_seq, m.attachments ?? null).lastInsertRowid);
    const { convHeads, messageRefs } = this.c;
    if ((convHeads.get(m.conv_id) ?? 0) < m.conv_seq) convHeads.set(m.conv_id, m.conv_seq);
    messageRefs.set(id, { conv_id: m.conv_id, conv_seq: m.conv_seq, sender_id: m.sender_id });
    return id;
  }
  async byId(id: number) { return one<MessageRow>(this.s.byId, id); }
  async bySenderClientId(senderId: number, clientMsgId: string) { return one<MessageRow>(this.s.byClient, senderId, clientMsgId); }
  async deliveryRef(userId: number, seq: number) {
    const cached = this.c.eventRefs.get(pairKey(userId, seq));
    if (cached !== undefined) return cached ?? undefined;
    return one<NonNullable<DeliveryRef>>(this.s.deliveryRef, userId, seq);
  }
  async recall(id: number, by: number) { this.s.recall.run(by, id); }
  async edit(id: number, text: string, mentions: string, editedAt: number) { this.s.edit.run(text, mentions, editedAt, id); }
  async bumpReactionRev(id: number) { return this.s.bumpRev.get(id) as number; }
  async readState(convId: number, userId: number) { return one<ReadStateRow>(this.s.state, convId, userId); }
  async readStates(convId: number) { return this.s.states.all(convId) as ReadStateRow[]; }
  async advanceDelivered(convId: number, userId: number, seq: number) { return this.s.delivered.run(convId, userId, seq).changes > 0; }
  async advanceRead(convId: number, userId: number, seq: number) { return this.s.read.run(convId, userId, seq, seq).changes > 0; }
}

class SqliteReactions implements ReactionsRepository {
  private s;
  constructor(db: Database) {
    this.s = {
      list: db.prepare('SELECT * FROM reactions WHERE msg_id = ? ORDER BY at, user_id'),
      add: db.prepare('INSERT INTO reactions (msg_id, user_id, emoji, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      remove: db.prepare('DELETE FROM reactions WHERE msg_id = ? AND user_id = ? AND emoji = ?'),
    };
  }
  async list(msgId: number) { return this.s.list.all(msgId) as ReactionRow[]; }
  async add(r: ReactionRow) { return this.s.add.run(r.msg_id, r.user_id, r.emoji, r.at).changes > 0; }
  async remove(msgId: number, userId: number, emoji: string) { return this.s.remove.run(msgId, userId, emoji).changes > 0; }
}

class SqliteFriends implements FriendsRepository {
  private s;
  /** pairKey(user, friend) -> the row, null: none. */
  private readonly rows: CachedMap<number | string, FriendRow | null>;
  constructor(db: Database, cache: SqliteCache) {
    this.rows = cache.map(CACHE_LIMIT);
    this.s = {
      get: db.prepare('SELECT * FROM friends WHERE user_id = ? AND friend_id = ?'),
      set: db.prepare(`INSERT INTO friends (user_id, friend_id, state, since) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_id, friend_id) DO UPDATE SET state = excluded.state, since = excluded.since`),
      ids: db.prepare('SELECT friend_id FROM friends WHERE user_id = ? AND state = ? ORDER BY friend_id'),
      request: db.prepare('SELECT * FROM friend_requests WHERE id = ?'),
      pending: db.prepare(`SELECT * FROM friend_requests WHERE state = 1 AND ((from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)) LIMIT 1`),
      insert: db.prepare('INSERT INTO friend_requests (from_id, to_id, message, state, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)'),
      setState: db.prepare('UPDATE friend_requests SET state = ?, updated_at = ? WHERE id = ?'),
    };
  }
  async get(userId: number, friendId: number) {
    const key = pairKey(userId, friendId);
    const cached = this.rows.get(key);
    if (cached !== undefined) return cached ?? undefined;
    return this.rows.set(key, one<FriendRow>(this.s.get, userId, friendId) ?? null) ?? undefined;
  }
  async set(userId: number, friendId: number, state: number, since: number) {
    this.s.set.run(userId, friendId, state, since);
    this.rows.set(pairKey(userId, friendId), { user_id: userId, friend_id: friendId, state, since });
  }
  async ids(userId: number, state: number) { return pluckIds(this.s.ids, userId, state); }
  async request(id: number) { return one<FriendRequestRow>(this.s.request, id); }
  async pendingBetween(a: number, b: number) { return one<FriendRequestRow>(this.s.pending, a, b, b, a); }
  async createRequest(fromId: number, toId: number, message: string, now: number) {
    return Number(this.s.insert.run(fromId, toId, message, now, now).lastInsertRowid);
  }
  async setRequestState(id: number, state: number, now: number) { this.s.setState.run(state, now, id); }
}

class SqliteGroups implements GroupsRepository {
  private s;
  constructor(db: Database) {
    this.s = {
      insert: db.prepare('INSERT INTO groups (name, owner_id, member_count, created_at, updated_at) VALUES (?, ?, 0, ?, ?)'),
      byId: db.prepare('SELECT * FROM groups WHERE id = ?'),
      update: db.prepare('UPDATE groups SET name = ?, owner_id = ?, member_count = ?, dissolved = ?, updated_at = ? WHERE id = ?'),
      member: db.prepare('SELECT * FROM group_members WHERE group_id = ? AND user_id = ?'),
      add: db.prepare('INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM group_members WHERE group_id = ? AND user_id = ?'),
      role: db.prepare('UPDATE group_members SET role = ? WHERE group_id = ? AND user_id = ?'),
      ids: db.prepare('SELECT user_id FROM group_members WHERE group_id = ? ORDER BY user_id'),
      page: db.prepare('SELECT * FROM group_members WHERE group_id = ? AND user_id > ? ORDER BY user_id LIMIT ?'),
      co: db.prepare(`SELECT DISTINCT b.user_id FROM group_members a JOIN group_members b ON b.group_id = a.group_id
        WHERE a.user_id = ? AND b.user_id <> a.user_id`),
      areCo: db.prepare(`SELECT 1 FROM group_members a JOIN group_members b ON b.group_id = a.group_id
        WHERE a.user_id = ? AND b.user_id = ? LIMIT 1`).pluck(),
    };
  }
  async create(name: string, ownerId: number, now: number) { return Number(this.s.insert.run(name, ownerId, now, now).lastInsertRowid); }
  async byId(id: number) { return one<GroupRow>(this.s.byId, id); }
  async update(g: GroupRow) { this.s.update.run(g.name, g.owner_id, g.member_count, g.dissolved, g.updated_at, g.id); }
  async member(groupId: number, userId: number) { return one<GroupMemberRow>(this.s.member, groupId, userId); }
  async addMember(groupId: number, userId: number, role: number, now: number) { this.s.add.run(groupId, userId, role, now); }
  async removeMember(groupId: number, userId: number) { this.s.remove.run(groupId, userId); }
  async setRole(groupId: number, userId: number, role: number) { this.s.role.run(role, groupId, userId); }
  async memberIds(groupId: number) { return pluckIds(this.s.ids, groupId); }
  async members(groupId: number, afterUserId: number, limit: number) { return all<GroupMemberRow>(this.s.page, groupId, afterUserId, limit); }
  async coMemberIds(userId: number) { return pluckIds(this.s.co, userId); }
  async areCoMembers(a: number, b: number) { return this.s.areCo.get(a, b) !== undefined; }
}

class SqliteBlobs implements BlobsRepository {
  private s;
  constructor(db: Database) {
    this.s = {
      get: db.prepare('SELECT * FROM blobs WHERE digest = ?'),
      add: db.prepare('INSERT INTO blobs (digest, size, uploader_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING'),
      usage: db.prepare('SELECT coalesce(sum(size), 0) FROM blobs WHERE uploader_id = ?').pluck(),
      // The uploader, or a member of a conversation with a live message that carries the blob (direct: either side; group: a current member).
      canRead: db
        .prepare(
          `SELECT 1 FROM blobs WHERE digest = @digest AND uploader_id = @user
           UNION ALL
           SELECT 1 FROM message_blobs mb
             JOIN messages m ON m.id = mb.msg_id AND m.recalled_by = 0
             JOIN conversations c ON c.id = m.conv_id
           WHERE mb.digest = @digest AND (
             c.user_lo = @user OR c.user_hi = @user
             OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = c.group_id AND gm.user_id = @user AND gm.role > 0))
           LIMIT 1`,
        )
        .pluck(),
      unreferenced: db
        .prepare(
          `SELECT b.digest FROM blobs b WHERE b.created_at < ? AND NOT EXISTS (
             SELECT 1 FROM message_blobs mb JOIN messages m ON m.id = mb.msg_id AND m.recalled_by = 0 WHERE mb.digest = b.digest)
           LIMIT ?`,
        )
        .pluck(),
      expired: db.prepare('SELECT mb.digest FROM message_blobs mb JOIN messages m ON m.id = mb.msg_id GROUP BY mb.digest HAVING max(m.sent_at) < ? LIMIT ?').pluck(),
      removeBlob: db.prepare('DELETE FROM blobs WHERE digest = ?'),
      removeRefs: db.prepare('DELETE FROM message_blobs WHERE digest = ?'),
      addRef: db.prepare('INSERT INTO message_blobs (digest, msg_id) VALUES (?, ?) ON CONFLICT DO NOTHING'),
    };
  }
  async get(digest: string) { return one<BlobRow>(this.s.get, digest); }
  async add(b: BlobRow) { this.s.add.run(b.digest, b.size, b.uploader_id, b.created_at); }
  async usage(userId: number) { return this.s.usage.get(userId) as number; }
  async canRead(userId: number, digest: string) { return this.s.canRead.get({ user: userId, digest }) !== undefined; }
  async unreferenced(before: number, limit: number) { return this.s.unreferenced.all(before, limit) as string[]; }
  async expired(before: number, limit: number) { return this.s.expired.all(before, limit) as string[]; }
  async remove(digests: readonly string[]) {
    for (const d of digests) {
      this.s.removeRefs.run(d);
      this.s.removeBlob.run(d);
    }
  }
  async addReferences(msgId: number, digests: readonly string[]) {
    for (const d of digests) this.s.addRef.run(d, msgId);
  }
}

/** The repositories over one connection, and the cache they keep exact (the store tells it of transaction boundaries). */
export class SqliteTx implements Tx {
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

  constructor(db: Database, cache: SqliteCache) {
    const caches: MessageCaches = { heads: cache.map(CACHE_LIMIT), convHeads: cache.map(CACHE_LIMIT), messageRefs: cache.map(CACHE_LIMIT), eventRefs: cache.map(CACHE_LIMIT) };
    this.users = new SqliteUsers(db);
    this.sequences = new SqliteSequences(db, caches.heads);
    this.devices = new SqliteDevices(db);
    this.conversationSettings = new SqliteConversationSettings(db);
    this.events = new SqliteEvents(db, caches);
    this.conversations = new SqliteConversations(db, cache, caches.convHeads);
    this.messages = new SqliteMessages(db, caches);
    this.reactions = new SqliteReactions(db);
    this.friends = new SqliteFriends(db, cache);
    this.groups = new SqliteGroups(db);
    this.blobs = new SqliteBlobs(db);
  }
}
