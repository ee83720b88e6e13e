/**
 * Conversation rows: maintained as messages are applied (last message,
 * unread, mentioned) and by the user (draft, pinned, muted until, marked
 * unread, read).
 *
 * `unread` and `mentioned` are denormalised counters, changed incrementally
 * when a new incoming message is inserted or one is recalled, and recounted
 * from the messages index when the read position moves. The recount is a
 * range scan over unread messages only (sort_key > read_seq).
 */
import type { ConversationKey, ConversationView, MessageStatus, Page } from '../../../shared/ipc';
import type { ConversationRepository } from './api';
import { PENDING_SORT_BASE, preview, type CacheContext } from './context';
import type { Row } from './db';
import { parseConversationKey } from '../../../shared/ipc/conversation-key';
import { parseGroupAction } from './group-action';
import { MUTED_FOREVER } from './migrations/0002_mute_until';
import { parseStored, summaryOf } from '../attachments/stored';
import { fromWireRef, num, type WireConversationSettings } from '../wire';

const VIEW_SELECT = `
  SELECT c.key, c.type, c.target_id, c.unread, c.mentioned, c.draft, c.pinned, c.muted_until, c.marked_unread, c.updated_at,
         m.id AS lm_id, m.sender_id AS lm_sender, m.text AS lm_text, m.sent_at AS lm_at, m.status AS lm_status, m.recalled AS lm_recalled, m.group_action AS lm_action, m.attachments AS lm_attachments,
         CASE c.type WHEN 'group' THEN g.name ELSE coalesce(nullif(p.nickname, ''), p.username) END AS title,
         CASE c.type WHEN 'group' THEN '' ELSE p.avatar END AS avatar
  FROM conversations c
  LEFT JOIN messages m ON m.rowid = c.last_msg_rowid
  LEFT JOIN profiles p ON c.type = 'direct' AND p.user_id = c.target_id
  LEFT JOIN chat_groups g ON c.type = 'group' AND g.id = c.target_id`;

interface ConvRow {
  key: ConversationKey;
  type: 'direct' | 'group';
  target_id: number;
  unread: number;
  mentioned: number;
  draft: string;
  pinned: number;
  muted_until: number;
  marked_unread: number;
  updated_at: number;
  lm_id: string | null;
  lm_sender: number | null;
  lm_text: string | null;
  lm_at: number | null;
  lm_status: MessageStatus | null;
  lm_recalled: number | null;
  lm_action: string | null;
  lm_attachments: string | null;
  title: string | null;
  avatar: string | null;
}

interface CursorValue {
  p: number;
  u: number;
  k: string;
}

function encodeCursor(v: CursorValue): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function decodeCursor(cursor: string): CursorValue | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorValue>;
    if (typeof v.p === 'number' && typeof v.u === 'number' && typeof v.k === 'string') return { p: v.p, u: v.u, k: v.k };
  } catch {
    // fall through
  }
  return undefined;
}

export function conversationFromRow(r: ConvRow, now: number): ConversationView {
  const muted = r.muted_until > now;
  const view: ConversationView = {
    key: r.key,
    type: r.type,
    targetId: r.target_id,
    title: r.title ?? '',
    avatar: r.avatar ?? '',
    unread: r.unread,
    mentioned: r.mentioned !== 0,
    draft: r.draft,
    pinned: r.pinned !== 0,
    muted,
    markedUnread: r.marked_unread !== 0,
    updatedAt: r.updated_at,
  };
  if (muted && r.muted_until < MUTED_FOREVER) view.mutedUntil = r.muted_until;
  if (r.lm_id !== null) {
    const recalled = r.lm_recalled !== 0;
    view.lastMessage = {
      id: r.lm_id,
      senderId: r.lm_sender ?? 0,
      preview: recalled ? '' : preview(r.lm_text ?? ''),
      at: r.lm_at ?? 0,
      status: r.lm_status ?? 'sent',
      recalled,
    };
    const action = parseGroupAction(r.lm_action);
    if (action) view.lastMessage.groupAction = action;
    const attachment = r.lm_attachments !== null && !recalled ? summaryOf(parseStored(r.lm_attachments)) : undefined;
    if (attachment) view.lastMessage.attachment = attachment;
  }
  return view;
}

export interface ConversationState {
  readSeq: number;
  unread: number;
  mentioned: boolean;
  muted: boolean;
  markedUnread: boolean;
  peerDeliveredSeq: number;
  peerReadSeq: number;
}

function stateFromRow(r: Row, now: number): ConversationState {
  return {
    readSeq: r.read_seq as number,
    unread: r.unread as number,
    mentioned: (r.mentioned as number) !== 0,
    muted: (r.muted_until as number) > now,
    markedUnread: (r.marked_unread as number) !== 0,
    peerDeliveredSeq: r.peer_delivered_seq as number,
    peerReadSeq: r.peer_read_seq as number,
  };
}

export class Conversations implements ConversationRepository {
  constructor(private readonly ctx: CacheContext) {}

  get(key: ConversationKey): ConversationView | undefined {
    const r = this.ctx.db.stmt<[string], ConvRow>(`${VIEW_SELECT} WHERE c.key = ?`).get(key);
    return r ? conversationFromRow(r, this.ctx.now()) : undefined;
  }

  list(options: { limit: number; cursor?: string }): Page<ConversationView> {
    const limit = Math.max(1, Math.floor(options.limit));
    return this.listPage(limit, options.cursor ? decodeCursor(options.cursor) : undefined);
  }

  private listPage(limit: number, after: CursorValue | undefined): Page<ConversationView> {
    const rows = after
      ? this.ctx.db
          .stmt<[number, number, number, number, string, number], ConvRow>(
            `${VIEW_SELECT}
             WHERE c.pinned < ? OR (c.pinned = ? AND (c.updated_at < ? OR (c.updated_at = ? AND c.key > ?)))
             ORDER BY c.pinned DESC, c.updated_at DESC, c.key LIMIT ?`,
          )
          .all(after.p, after.p, after.u, after.u, after.k, limit + 1)
      : this.ctx.db.stmt<[number], ConvRow>(`${VIEW_SELECT} ORDER BY c.pinned DESC, c.updated_at DESC, c.key LIMIT ?`).all(limit + 1);
    const now = this.ctx.now();
    const items = rows.slice(0, limit).map((r) => conversationFromRow(r, now));
    const page: Page<ConversationView> = { items };
    const last = rows.length > limit ? rows[limit - 1] : undefined;
    if (last) page.nextCursor = encodeCursor({ p: last.pinned, u: last.updated_at, k: last.key });
    return page;
  }

  ensure(key: ConversationKey): ConversationView {
    this.ensureRow(key);
    return this.get(key)!;
  }

  markRead(key: ConversationKey): { readSeq: number; changed: boolean; conversation: ConversationView } {
    this.ensureRow(key);
    const latest = this.latestConvSeq(key);
    const st = this.state(key)!;
    const readSeq = Math.max(st.readSeq, latest);
    const changed = readSeq !== st.readSeq || st.unread !== 0 || st.mentioned || st.markedUnread;
    if (changed) {
      this.ctx.db.stmt(`UPDATE conversations SET read_seq = ?, unread = 0, mentioned = 0, marked_unread = 0 WHERE key = ?`).run(readSeq, key);
    }
    return { readSeq, changed, conversation: this.get(key)! };
  }

  setDraft(key: ConversationKey, text: string): ConversationView {
    this.ensureRow(key);
    this.ctx.db
      .stmt(`UPDATE conversations SET draft = ?, updated_at = max(updated_at, ?) WHERE key = ? AND draft <> ?`)
      .run(text, this.ctx.now(), key, text);
    return this.get(key)!;
  }

  setPinned(key: ConversationKey, pinned: boolean): ConversationView {
    this.ensureRow(key);
    this.ctx.db.stmt(`UPDATE conversations SET pinned = ? WHERE key = ?`).run(pinned ? 1 : 0, key);
    return this.get(key)!;
  }

  setMuted(key: ConversationKey, until: number | 'forever' | 0): ConversationView {
    this.ensureRow(key);
    this.ctx.db.stmt(`UPDATE conversations SET muted_until = ? WHERE key = ?`).run(until === 'forever' ? MUTED_FOREVER : until, key);
    return this.get(key)!;
  }

  markUnread(key: ConversationKey): { changed: boolean; conversation: ConversationView } {
    this.ensureRow(key);
    const changed = this.ctx.db.stmt(`UPDATE conversations SET marked_unread = 1 WHERE key = ? AND marked_unread = 0 AND unread = 0`).run(key).changes > 0;
    return { changed, conversation: this.get(key)! };
  }

  unreadTotal(): number {
    // A conversation marked unread (with nothing unread) counts as one, as in Telegram.
    const r = this.ctx.db
      .stmt<[number], { n: number }>(
        `SELECT coalesce(sum(CASE WHEN unread > 0 THEN unread ELSE marked_unread END), 0) AS n FROM conversations WHERE muted_until <= ?`,
      )
      .get(this.ctx.now());
    return r?.n ?? 0;
  }

  nextMuteEnd(): number | undefined {
    const r = this.ctx.db
      .stmt<[number, number], { t: number | null }>(`SELECT min(muted_until) AS t FROM conversations WHERE muted_until > ? AND muted_until < ?`)
      .get(this.ctx.now(), MUTED_FOREVER);
    return r?.t ?? undefined;
  }

  mutesEndedBetween(from: number, to: number): ConversationView[] {
    const keys = this.ctx.db
      .stmt<[number, number], { key: ConversationKey }>(`SELECT key FROM conversations WHERE muted_until > ? AND muted_until <= ?`)
      .all(from, to);
    return keys.map((k) => this.get(k.key)).filter((c): c is ConversationView => c !== undefined);
  }

  applySettings(s: WireConversationSettings, seq: number): ConversationKey | undefined {
    const key = fromWireRef(s.conversation);
    if (!key) return undefined;
    // A chat pinned or muted on another device shows here too, even before its first message arrives.
    this.ensureRow(key);
    const mutedUntil = Math.min(num(s.mutedUntil), MUTED_FOREVER);
    const changed = this.ctx.db
      .stmt(`UPDATE conversations SET pinned = ?, muted_until = ?, marked_unread = ?, settings_seq = ? WHERE key = ? AND settings_seq < ?`)
      .run(s.pinned ? 1 : 0, mutedUntil, s.markedUnread ? 1 : 0, seq, key, seq).changes;
    return changed > 0 ? key : undefined;
  }

  remove(key: ConversationKey): boolean {
    return this.ctx.db.transaction(() => {
      // The search index has no foreign key: clear it first.
      this.ctx.db.stmt(`DELETE FROM messages_fts WHERE rowid IN (SELECT rowid FROM messages WHERE conv = ?)`).run(key);
      return this.ctx.db.stmt(`DELETE FROM conversations WHERE key = ?`).run(key).changes > 0;
    });
  }

  // ------------------------------------------------------------ internal (used by the message repository)

  ensureRow(key: ConversationKey): void {
    const { type, id } = parseConversationKey(key);
    this.ctx.db.stmt(`INSERT INTO conversations (key, type, target_id) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING`).run(key, type, id);
  }

  state(key: ConversationKey): ConversationState | undefined {
    const r = this.ctx.db
      .stmt<[string], Row>(`SELECT read_seq, unread, mentioned, muted_until, marked_unread, peer_delivered_seq, peer_read_seq FROM conversations WHERE key = ?`)
      .get(key);
    return r ? stateFromRow(r, this.ctx.now()) : undefined;
  }

  /** State plus the sort key of the current last message; creates the row if missing. One query on the hot path. */
  stateForInsert(key: ConversationKey): ConversationState & { lastSortKey: number | null } {
    const q = this.ctx.db.stmt<[string], Row>(
      `SELECT c.read_seq, c.unread, c.mentioned, c.muted_until, c.marked_unread, c.peer_delivered_seq, c.peer_read_seq, m.sort_key AS last_sort_key
       FROM conversations c LEFT JOIN messages m ON m.rowid = c.last_msg_rowid WHERE c.key = ?`,
    );
    let r = q.get(key);
    if (!r) {
      this.ensureRow(key);
      r = q.get(key)!;
    }
    return { ...stateFromRow(r, this.ctx.now()), lastSortKey: (r.last_sort_key as number | null) ?? null };
  }

  /** After inserting a message: unread/mentioned, and the last message if it is the newest (one UPDATE). */
  afterInsert(key: ConversationKey, m: { unread: boolean; mentionsMe: boolean; isLast: boolean; rowid: number; sentAt: number }): void {
    this.ctx.db
      .stmt(
        `UPDATE conversations SET unread = unread + ?, mentioned = mentioned OR ?,
           last_msg_rowid = CASE WHEN ? THEN ? ELSE last_msg_rowid END,
           updated_at = CASE WHEN ? THEN max(updated_at, ?) ELSE updated_at END
         WHERE key = ?`,
      )
      .run(m.unread ? 1 : 0, m.unread && m.mentionsMe ? 1 : 0, m.isLast ? 1 : 0, m.rowid, m.isLast ? 1 : 0, m.sentAt, key);
  }

  latestConvSeq(key: ConversationKey): number {
    const r = this.ctx.db
      .stmt<[string, number], { s: number | null }>(`SELECT max(sort_key) AS s FROM messages WHERE conv = ? AND sort_key < ?`)
      .get(key, PENDING_SORT_BASE);
    return r?.s ?? 0;
  }

  /** Points the row at its newest message and moves `updated_at` forward to it (never back). One statement. */
  refreshLast(key: ConversationKey): void {
    this.ctx.db
      .stmt(
        `UPDATE conversations SET
           last_msg_rowid = (SELECT rowid FROM messages WHERE conv = @key ORDER BY sort_key DESC, rowid DESC LIMIT 1),
           updated_at = max(updated_at, coalesce((SELECT sent_at FROM messages WHERE conv = @key ORDER BY sort_key DESC, rowid DESC LIMIT 1), 0))
         WHERE key = @key`,
      )
      .run({ key });
  }

  /** The newest message is known (a message just written after all others): point the row at it. */
  setLast(key: ConversationKey, rowid: number, at: number): void {
    this.ctx.db.stmt(`UPDATE conversations SET last_msg_rowid = ?, updated_at = max(updated_at, ?) WHERE key = ?`).run(rowid, at, key);
  }

  /** Recount unread and mentioned from the messages after the read position. */
  recountUnread(key: ConversationKey): void {
    const st = this.state(key);
    if (!st) return;
    const r = this.ctx.db
      .stmt<[string, number, number], { n: number; m: number | null }>(
        `SELECT count(*) AS n, max(mentions_me) AS m FROM messages
         WHERE conv = ? AND sort_key > ? AND sort_key < ? AND outgoing = 0 AND recalled = 0`,
      )
      .get(key, st.readSeq, PENDING_SORT_BASE);
    this.ctx.db.stmt(`UPDATE conversations SET unread = ?, mentioned = ? WHERE key = ?`).run(r?.n ?? 0, r?.m ?? 0, key);
  }

  /** Read position from my own other device: forward only. Returns true if it moved. */
  advanceReadSeq(key: ConversationKey, seq: number): boolean {
    const moved = this.ctx.db.stmt(`UPDATE conversations SET read_seq = ? WHERE key = ? AND read_seq < ?`).run(seq, key, seq).changes > 0;
    if (moved) this.recountUnread(key);
    return moved;
  }

  /** Receipts of other users: forward only. Returns the previous value, or undefined if it did not move. */
  advancePeerSeq(key: ConversationKey, which: 'delivered' | 'read', seq: number): number | undefined {
    const column = which === 'read' ? 'peer_read_seq' : 'peer_delivered_seq';
    const st = this.state(key);
    if (!st) return undefined;
    const prev = which === 'read' ? st.peerReadSeq : st.peerDeliveredSeq;
    if (seq <= prev) return undefined;
    this.ctx.db.stmt(`UPDATE conversations SET ${column} = ? WHERE key = ?`).run(seq, key);
    return prev;
  }
}
