/**
 * Friends and friend requests. Each row remembers the sync seq that last
 * wrote it, so an older event applied after a newer one changes nothing.
 * Presence is memory only (it is meaningless after a restart).
 */
import type { Contact, FriendRequestView, FriendState } from '../../../shared/ipc';
import type { ApplyChange, ContactRepository } from './api';
import type { WireFriend, WireFriendRequest } from '../wire';
import type { CacheContext } from './context';
import type { Profiles } from './profiles';
import { friendRequestState, friendState, num } from '../wire';

interface ContactRow {
  user_id: number;
  state: FriendState;
  username: string | null;
  nickname: string | null;
  avatar: string | null;
  signature: string | null;
}

interface RequestRow {
  id: number;
  from_user_id: number;
  to_user_id: number;
  message: string;
  state: FriendRequestView['state'];
  created_at: number;
  username: string | null;
  nickname: string | null;
  avatar: string | null;
  signature: string | null;
}

const CONTACT_SELECT = `
  SELECT f.user_id, f.state, p.username, p.nickname, p.avatar, p.signature
  FROM friends f LEFT JOIN profiles p ON p.user_id = f.user_id`;

export class Presence {
  private readonly map = new Map<number, { online: boolean; lastSeen: number; hidden: boolean }>();

  set(userId: number, online: boolean, lastSeen: number, hidden = false): boolean {
    const cur = this.map.get(userId);
    if (cur && cur.online === online && cur.lastSeen === lastSeen && cur.hidden === hidden) return false;
    this.map.set(userId, { online, lastSeen, hidden });
    return true;
  }

  get(userId: number): { online: boolean; lastSeen: number; hidden: boolean } {
    return this.map.get(userId) ?? { online: false, lastSeen: 0, hidden: false };
  }
}

export class Contacts implements ContactRepository {
  constructor(
    private readonly ctx: CacheContext,
    private readonly profiles: Profiles,
    private readonly presence: Presence,
  ) {}

  private contactFromRow(r: ContactRow): Contact {
    const p = this.presence.get(r.user_id);
    return {
      userId: r.user_id,
      username: r.username ?? '',
      nickname: r.nickname ?? '',
      avatar: r.avatar ?? '',
      signature: r.signature ?? '',
      state: r.state,
      online: p.online,
      lastSeen: p.lastSeen,
      ...(p.hidden ? { presenceHidden: true } : {}),
    };
  }

  applyFriend(f: WireFriend, seq = 0): { change: ApplyChange; contact?: Contact } {
    const userId = num(f.userId);
    const state = friendState.fromWire(f.state);
    if (!state || !Number.isSafeInteger(userId) || userId <= 0) return { change: 'unchanged' };
    return this.ctx.db.transaction(() => {
      const cur = this.ctx.db.stmt<[number], { state: FriendState; since: number; seq: number }>(`SELECT state, since, seq FROM friends WHERE user_id = ?`).get(userId);
      if (cur && seq < cur.seq) return { change: 'unchanged' as const, contact: this.getFriend(userId) };
      const profileChanged = f.profile ? this.profiles.upsert(f.profile) : false;
      const since = num(f.since);
      const rowChanged = !cur || cur.state !== state || cur.since !== since;
      this.ctx.db
        .stmt(`INSERT INTO friends (user_id, state, since, seq) VALUES (?, ?, ?, ?)
               ON CONFLICT (user_id) DO UPDATE SET state = excluded.state, since = excluded.since, seq = max(friends.seq, excluded.seq)`)
        .run(userId, state, since, seq);
      const change: ApplyChange = !cur ? 'inserted' : rowChanged || profileChanged ? 'updated' : 'unchanged';
      return { change, contact: this.getFriend(userId) };
    });
  }

  listFriends(): Contact[] {
    return this.ctx.db
      .stmt<[], ContactRow>(`${CONTACT_SELECT} WHERE f.state <> 'removed' ORDER BY coalesce(nullif(p.nickname, ''), p.username, '') COLLATE NOCASE, f.user_id`)
      .all()
      .map((r) => this.contactFromRow(r));
  }

  getFriend(userId: number): Contact | undefined {
    const r = this.ctx.db.stmt<[number], ContactRow>(`${CONTACT_SELECT} WHERE f.user_id = ?`).get(userId);
    return r ? this.contactFromRow(r) : undefined;
  }

  private requestFromRow(r: RequestRow): FriendRequestView {
    const outgoing = r.from_user_id === this.ctx.userId;
    const other = outgoing ? r.to_user_id : r.from_user_id;
    return {
      id: r.id,
      direction: outgoing ? 'outgoing' : 'incoming',
      user: { userId: other, username: r.username ?? '', nickname: r.nickname ?? '', avatar: r.avatar ?? '', signature: r.signature ?? '' },
      message: r.message,
      state: r.state,
      createdAt: r.created_at,
    };
  }

  private requestSelect = `
    SELECT r.id, r.from_user_id, r.to_user_id, r.message, r.state, r.created_at, p.username, p.nickname, p.avatar, p.signature
    FROM friend_requests r
    LEFT JOIN profiles p ON p.user_id = CASE WHEN r.from_user_id = ? THEN r.to_user_id ELSE r.from_user_id END`;

  private getRequest(id: number): FriendRequestView | undefined {
    const r = this.ctx.db.stmt<[number, number], RequestRow>(`${this.requestSelect} WHERE r.id = ?`).get(this.ctx.userId, id);
    return r ? this.requestFromRow(r) : undefined;
  }

  applyFriendRequest(w: WireFriendRequest, seq = 0): { change: ApplyChange; request: FriendRequestView } {
    const id = num(w.requestId);
    const state = friendRequestState.fromWire(w.state) ?? 'pending';
    return this.ctx.db.transaction(() => {
      if (w.fromProfile) this.profiles.upsert(w.fromProfile);
      if (w.toProfile) this.profiles.upsert(w.toProfile);
      const cur = this.ctx.db.stmt<[number], { state: string; message: string; seq: number }>(`SELECT state, message, seq FROM friend_requests WHERE id = ?`).get(id);
      if (cur && seq < cur.seq) return { change: 'unchanged' as const, request: this.getRequest(id)! };
      this.ctx.db
        .stmt(`INSERT INTO friend_requests (id, from_user_id, to_user_id, message, state, created_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET state = excluded.state, message = excluded.message, seq = max(friend_requests.seq, excluded.seq)`)
        .run(id, num(w.fromUserId), num(w.toUserId), w.message, state, num(w.createdAt), seq);
      const change: ApplyChange = !cur ? 'inserted' : cur.state !== state || cur.message !== w.message ? 'updated' : 'unchanged';
      return { change, request: this.getRequest(id)! };
    });
  }

  listFriendRequests(): FriendRequestView[] {
    return this.ctx.db
      .stmt<[number], RequestRow>(`${this.requestSelect} ORDER BY r.created_at DESC, r.id DESC`)
      .all(this.ctx.userId)
      .map((r) => this.requestFromRow(r));
  }

  setPresence(userId: number, online: boolean, lastSeen: number, hidden = false): boolean {
    return this.presence.set(userId, online, lastSeen, hidden);
  }

  getPresence(userId: number): { online: boolean; lastSeen: number } {
    return this.presence.get(userId);
  }
}
