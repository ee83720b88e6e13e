/**
 * Messages: idempotent apply from the server, the local life of an outgoing
 * message (pending -> acked -> delivered -> read, or failed), recalls,
 * receipts, and paging.
 */
import type {
  AttachmentKind,
  AttachmentView,
  ConversationKey,
  ConversationView,
  ErrorInfo,
  MediaItem,
  MessagePage,
  MessageStatus,
  MessageView,
  Page,
  ReactionView,
} from '../../../shared/ipc';
import { ReceiptType } from '../../../shared/protocol';
import type { ApplyChange, MessageAck, MessageRepository, NewOutgoingMessage, PageOptions } from './api';
import type { WireMessage, WireMessageEdited, WireMessageHidden, WireMessageReactions, WireMessageRecalled, WireReceipt } from '../wire';
import { PENDING_SORT_BASE, parseJson, preview, type CacheContext } from './context';
import type { Conversations } from './conversations';
import { fromWireGroupAction, parseGroupAction } from './group-action';
import type { SearchIndex } from './search';
import { fromWireRef, num } from '../wire';
import { parseStored, searchableText, storedColumn, storedFromWire, viewFromStored, type StoredAttachment } from '../attachments/stored';

interface MessageRow {
  rowid: number;
  id: string;
  conv: ConversationKey;
  sort_key: number;
  server_id: number | null;
  conv_seq: number | null;
  sender_id: number;
  client_msg_id: string;
  outgoing: number;
  text: string;
  mentions: string;
  mentions_me: number;
  reply_to_id: number;
  reply_preview: string | null;
  sent_at: number;
  status: MessageStatus;
  recalled: number;
  error: string | null;
  group_action: string | null;
  edited_at: number;
  reactions: string | null;
  reaction_rev: number;
  attachments: string | null;
  /** JSON array of the attachments' digests whose files are complete on this device (NULL without attachments). */
  local: string | null;
  r_sender: number | null;
  r_text: string | null;
  r_recalled: number | null;
}

/**
 * The digests of a message's files that are complete on this device, as a
 * JSON array: one primary-key lookup per file, and nothing at all for the
 * (many) messages without files.
 */
export const LOCAL_FILES_OF = (m: string) => `CASE WHEN ${m}.attachments IS NULL THEN NULL ELSE (
    SELECT json_group_array(lf.digest) FROM json_each(${m}.attachments) je
    JOIN local_files lf ON lf.digest = json_extract(je.value, '$.blob.digest') AND lf.have = lf.size) END`;

const COLUMNS = `
  m.rowid AS rowid, m.id, m.conv, m.sort_key, m.server_id, m.conv_seq, m.sender_id, m.client_msg_id, m.outgoing, m.text,
  m.mentions, m.mentions_me, m.reply_to_id, m.reply_preview, m.sent_at, m.status, m.recalled, m.error, m.group_action, m.attachments,
  ${LOCAL_FILES_OF('m')} AS local,
  m.edited_at, m.reactions, m.reaction_rev,
  r.sender_id AS r_sender, r.text AS r_text, r.recalled AS r_recalled`;
const REPLY_JOIN = `LEFT JOIN messages r ON m.reply_to_id <> 0 AND r.server_id = m.reply_to_id`;

const SELECT = `SELECT ${COLUMNS} FROM messages m ${REPLY_JOIN}`;

/** A message with what an ack needs of its conversation: the receipts' watermarks and which message is the last. */
interface AckRow extends MessageRow {
  c_delivered: number;
  c_read: number;
  c_last: number | null;
}

const SELECT_FOR_ACK = `
  SELECT ${COLUMNS}, c.peer_delivered_seq AS c_delivered, c.peer_read_seq AS c_read, c.last_msg_rowid AS c_last
  FROM messages m JOIN conversations c ON c.key = m.conv ${REPLY_JOIN}
  WHERE m.id = ?`;

interface MediaRow {
  rowid: number;
  id: string;
  sender_id: number;
  sent_at: number;
  sort_key: number;
  attachments: string;
  local: string | null;
}

function parseMediaCursor(cursor: string | undefined): [number, number] {
  const m = cursor ? /^(\d{1,17}):(\d{1,17})$/.exec(cursor) : null;
  return m ? [Number(m[1]), Number(m[2])] : [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
}

const STATUS_RANK: Record<MessageStatus, number> = { pending: 0, failed: 0, sent: 1, delivered: 2, read: 3 };

function isAcked(status: MessageStatus): boolean {
  return STATUS_RANK[status] > 0;
}

/** Reactions as stored (the server's snapshot), with "mine" for the viewer. */
export function reactionsFromJson(json: string | null, me: number): ReactionView[] | undefined {
  const stored = parseJson<Array<{ emoji: string; userIds: number[] }>>(json, []);
  if (stored.length === 0) return undefined;
  return stored.map((r) => ({ emoji: r.emoji, userIds: r.userIds, mine: r.userIds.includes(me) }));
}

export function messageFromRow(r: MessageRow, me = 0): MessageView {
  const view: MessageView = {
    id: r.id,
    conversationKey: r.conv,
    senderId: r.sender_id,
    outgoing: r.outgoing !== 0,
    text: r.recalled ? '' : r.text,
    mentions: parseJson<number[]>(r.mentions, []),
    sentAt: r.sent_at,
    status: r.status,
    recalled: r.recalled !== 0,
  };
  if (r.server_id !== null) view.serverId = r.server_id;
  if (r.conv_seq !== null) view.convSeq = r.conv_seq;
  if (r.edited_at > 0 && !r.recalled) view.editedAt = r.edited_at;
  const reactions = r.recalled ? undefined : reactionsFromJson(r.reactions, me);
  if (reactions) view.reactions = reactions;
  if (r.reply_to_id !== 0) {
    const stored = parseJson<{ senderId?: number; preview?: string }>(r.reply_preview, {});
    view.replyTo =
      r.r_sender !== null
        ? { serverId: r.reply_to_id, senderId: r.r_sender, preview: r.r_recalled ? '' : preview(r.r_text ?? '') }
        : { serverId: r.reply_to_id, senderId: stored.senderId ?? 0, preview: stored.preview ?? '' };
  }
  if (r.error !== null) {
    const error = parseJson<ErrorInfo | undefined>(r.error, undefined);
    if (error) view.error = error;
  }
  const action = parseGroupAction(r.group_action);
  if (action) view.groupAction = action;
  if (r.attachments !== null && !r.recalled) {
    const list = parseStored(r.attachments);
    if (list.length > 0) view.attachments = attachmentViews(list, r.local);
  }
  return view;
}

/** Views of stored attachments; `localJson` is the LOCAL_FILES_OF column. */
export function attachmentViews(list: readonly StoredAttachment[], localJson: string | null): AttachmentView[] {
  const local = new Set(parseJson<string[]>(localJson, []));
  return list.map((a, i) => viewFromStored(a, i, local));
}

export class Messages implements MessageRepository {
  constructor(
    private readonly ctx: CacheContext,
    private readonly conversations: Conversations,
    private readonly index: SearchIndex,
  ) {}

  // ------------------------------------------------------------ reads

  private view(r: MessageRow): MessageView {
    return messageFromRow(r, this.ctx.userId);
  }

  private rowById(id: string): MessageRow | undefined {
    return this.ctx.db.stmt<[string], MessageRow>(`${SELECT} WHERE m.id = ?`).get(id);
  }

  private rowByServerId(serverId: number): MessageRow | undefined {
    return this.ctx.db.stmt<[number], MessageRow>(`${SELECT} WHERE m.server_id = ?`).get(serverId);
  }

  private rowByClientId(senderId: number, clientMsgId: string): MessageRow | undefined {
    return this.ctx.db.stmt<[number, string], MessageRow>(`${SELECT} WHERE m.sender_id = ? AND m.client_msg_id = ? AND m.client_msg_id <> ''`).get(senderId, clientMsgId);
  }

  private rowByRowid(rowid: number): MessageRow | undefined {
    return this.ctx.db.stmt<[number], MessageRow>(`${SELECT} WHERE m.rowid = ?`).get(rowid);
  }

  private viewByRowid(rowid: number): MessageView {
    return this.view(this.rowByRowid(rowid)!);
  }

  get(id: string): MessageView | undefined {
    const r = this.rowById(id);
    return r ? this.view(r) : undefined;
  }

  getByServerId(serverId: number): MessageView | undefined {
    const r = this.rowByServerId(serverId);
    return r ? this.view(r) : undefined;
  }

  latestConvSeq(key: ConversationKey): number {
    return this.conversations.latestConvSeq(key);
  }

  // ------------------------------------------------------------ server messages

  applyServerMessage(w: WireMessage): { change: ApplyChange; message: MessageView } {
    const key = fromWireRef(w.conversation);
    if (!key) throw new Error('message without a valid conversation');
    const msgId = num(w.msgId);
    const senderId = num(w.senderId);
    return this.ctx.db.transaction(() => {
      const existing = this.rowByServerId(msgId) ?? (w.clientMsgId ? this.rowByClientId(senderId, w.clientMsgId) : undefined);
      if (existing) return this.mergeServerMessage(existing, w);
      return { change: 'inserted' as const, message: this.insertServerMessage(key, w) };
    });
  }

  private insertServerMessage(key: ConversationKey, w: WireMessage): MessageView {
    const db = this.ctx.db;
    const msgId = num(w.msgId);
    const senderId = num(w.senderId);
    const convSeq = num(w.convSeq);
    const sentAt = num(w.sentAt);
    const replyToId = num(w.replyToMsgId);
    const outgoing = senderId === this.ctx.userId;
    const tombstone = db.stmt(`DELETE FROM recall_tombstones WHERE server_id = ?`).run(msgId).changes > 0;
    const recalled = w.recalled || tombstone;
    const text = recalled ? '' : w.text;
    const files = recalled ? [] : w.attachments.map(storedFromWire).filter((a) => a !== undefined);
    const mentions = w.mentions.map((m) => num(m.userId));
    const mentionsMe = !outgoing && mentions.some((u) => u === this.ctx.userId || u === 0);
    const st = this.conversations.stateForInsert(key);
    const status: MessageStatus = outgoing ? this.statusFromReceipts(convSeq, st.peerDeliveredSeq, st.peerReadSeq) : 'sent';
    const insert = db.stmt(
      `INSERT INTO messages (id, conv, sort_key, server_id, conv_seq, sender_id, client_msg_id, outgoing, text, mentions, mentions_me,
                             reply_to_id, sent_at, status, recalled, group_action, edited_at, attachments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const groupAction = fromWireGroupAction(w.groupAction);
    const editedAt = recalled ? 0 : num(w.editedAt ?? 0);
    const run = (id: string): number =>
      Number(
        insert.run(
          id, key, convSeq, msgId, convSeq, senderId, w.clientMsgId, outgoing ? 1 : 0, text, JSON.stringify(mentions), mentionsMe ? 1 : 0, replyToId, sentAt, status,
          recalled ? 1 : 0, groupAction ? JSON.stringify(groupAction) : null, editedAt, storedColumn(files),
        ).lastInsertRowid,
      );
    // The local id is the client message id, unless another sender already used it (ids are chosen by clients).
    let id = w.clientMsgId || `s${msgId}`;
    let rowid: number;
    try {
      rowid = run(id);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE' || !w.clientMsgId) throw err;
      id = `s${msgId}`;
      rowid = run(id);
    }
    const indexed = searchableText(text, files);
    if (indexed) this.index.add(rowid, key, indexed);
    const isLast = st.lastSortKey === null || convSeq >= st.lastSortKey;
    this.conversations.afterInsert(key, { unread: !outgoing && !recalled && convSeq > st.readSeq, mentionsMe, isLast, rowid, sentAt });
    // Read back when the view needs a join (the quote, or which files are already on this device).
    if (replyToId !== 0 || files.length > 0) return this.viewByRowid(rowid);
    // Built directly: the same as messageFromRow of the stored row, without reading it back.
    const view: MessageView = { id, conversationKey: key, serverId: msgId, convSeq, senderId, outgoing, text, mentions, sentAt, status, recalled };
    if (groupAction) view.groupAction = groupAction;
    if (editedAt > 0) view.editedAt = editedAt;
    return view;
  }

  /** The message is known: only what can move forward moves (ack through sync, recall). */
  private mergeServerMessage(row: MessageRow, w: WireMessage): { change: ApplyChange; message: MessageView } {
    let changed = false;
    if (row.server_id === null) {
      const st = this.conversations.state(row.conv)!;
      this.applyAck(row, { msgId: w.msgId, convSeq: w.convSeq, sentAt: w.sentAt }, { deliveredSeq: st.peerDeliveredSeq, readSeq: st.peerReadSeq });
      this.conversations.refreshLast(row.conv);
      changed = true;
    }
    if (w.recalled && !row.recalled) {
      this.recallRow(row);
      changed = true;
    } else if (!row.recalled && num(w.editedAt ?? 0) > row.edited_at) {
      this.editRow(row, { text: w.text, mentions: w.mentions.map((m) => num(m.userId)), editedAt: num(w.editedAt) });
      changed = true;
    }
    return { change: changed ? 'updated' : 'unchanged', message: this.viewByRowid(row.rowid) };
  }

  private statusFromReceipts(convSeq: number, deliveredSeq: number, readSeq: number): MessageStatus {
    if (convSeq <= readSeq) return 'read';
    if (convSeq <= deliveredSeq) return 'delivered';
    return 'sent';
  }

  // ------------------------------------------------------------ outgoing

  insertOutgoing(m: NewOutgoingMessage): MessageView {
    return this.enqueue(m).message;
  }

  /**
   * The pending row, written so that nothing is read back: the view is built
   * from the input, and the new message is the conversation's last one by
   * construction (pending messages sort after everything, newest last).
   * `lastChanged` is always true; it is there for the outbox engine's event.
   */
  enqueue(m: NewOutgoingMessage): { message: MessageView; lastChanged: true } {
    const db = this.ctx.db;
    return db.transaction(() => {
      this.conversations.ensureRow(m.key);
      const mentions = m.mentions ?? [];
      const replyTo = m.replyTo ? { serverId: m.replyTo.serverId, senderId: m.replyTo.senderId, preview: preview(m.replyTo.preview) } : undefined;
      const info = db
        .stmt(
          `INSERT INTO messages (id, conv, sort_key, sender_id, client_msg_id, outgoing, text, mentions, reply_to_id, reply_preview, sent_at, status, attachments)
           VALUES (?, ?, 0, ?, ?, 1, ?, ?, ?, ?, ?, 'pending', ?)`,
        )
        .run(
          m.id,
          m.key,
          this.ctx.userId,
          m.id,
          m.text,
          JSON.stringify(mentions),
          replyTo?.serverId ?? 0,
          replyTo ? JSON.stringify({ senderId: replyTo.senderId, preview: replyTo.preview }) : null,
          m.createdAt,
          storedColumn(m.attachments),
        );
      const rowid = Number(info.lastInsertRowid);
      db.stmt(`UPDATE messages SET sort_key = ? WHERE rowid = ?`).run(PENDING_SORT_BASE + rowid, rowid);
      const indexed = searchableText(m.text, m.attachments ?? []);
      if (indexed) this.index.add(rowid, m.key, indexed);
      this.conversations.setLast(m.key, rowid, m.createdAt);
      const message: MessageView = {
        id: m.id,
        conversationKey: m.key,
        senderId: this.ctx.userId,
        outgoing: true,
        text: m.text,
        mentions,
        sentAt: m.createdAt,
        status: 'pending',
        recalled: false,
      };
      // A quoted message in the cache wins over the quote the caller passed (as when reading the row back).
      if (replyTo) message.replyTo = this.quoteOf(replyTo);
      // The sender's own files are on this device (staged, pinned) when a message is enqueued.
      if (m.attachments && m.attachments.length > 0) message.attachments = m.attachments.map((a, i) => viewFromStored(a, i, new Set([a.blob.digest])));
      return { message, lastChanged: true };
    });
  }

  markAcked(id: string, ack: MessageAck): MessageView | undefined {
    return this.acknowledge(id, ack)?.message;
  }

  /**
   * The server stored the message. One read (the row with its conversation's
   * watermarks), one update, and the conversation's last message only if
   * this message was it: a pending message that is not the last has a newer
   * pending one after it, which the ack does not move.
   */
  acknowledge(id: string, ack: MessageAck): { message: MessageView; lastChanged: boolean } | undefined {
    return this.ctx.db.transaction(() => {
      const row = this.ctx.db.stmt<[string], AckRow>(SELECT_FOR_ACK).get(id);
      if (!row) return undefined;
      if (row.server_id !== null) return { message: this.view(row), lastChanged: false };
      const acked = this.applyAck(row, ack, { deliveredSeq: row.c_delivered, readSeq: row.c_read });
      if (!acked) {
        // Already stored under another local id (should not happen: sync matches by client id). Keep one copy.
        const other = this.rowByServerId(num(ack.msgId))!;
        this.removeRow(row);
        return { message: this.view(other), lastChanged: true };
      }
      const wasLast = row.c_last === row.rowid;
      if (wasLast) this.conversations.refreshLast(row.conv);
      return { message: acked, lastChanged: wasLast };
    });
  }

  /**
   * Sets server id, conv seq, server time and the status the receipts already
   * allow. Returns the new view, or undefined when another row holds this
   * server id (the UNIQUE index refuses the update; nothing changed).
   */
  private applyAck(row: MessageRow, ack: MessageAck, receipts: { deliveredSeq: number; readSeq: number }): MessageView | undefined {
    const convSeq = num(ack.convSeq);
    const msgId = num(ack.msgId);
    const sentAt = num(ack.sentAt);
    let status = row.status;
    if (row.outgoing) {
      const fromReceipts = this.statusFromReceipts(convSeq, receipts.deliveredSeq, receipts.readSeq);
      if (STATUS_RANK[fromReceipts] > STATUS_RANK[status]) status = fromReceipts;
    }
    try {
      this.ctx.db
        .stmt(`UPDATE messages SET server_id = ?, conv_seq = ?, sort_key = ?, sent_at = ?, status = ?, error = NULL WHERE rowid = ?`)
        .run(msgId, convSeq, convSeq, sentAt, status, row.rowid);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return undefined;
      throw err;
    }
    const acked: MessageRow = { ...row, server_id: msgId, conv_seq: convSeq, sort_key: convSeq, sent_at: sentAt, status, error: null };
    if (this.ctx.db.stmt(`DELETE FROM recall_tombstones WHERE server_id = ?`).run(msgId).changes > 0) {
      this.recallRow(acked);
      acked.recalled = 1;
      acked.text = '';
    }
    return this.view(acked);
  }

  /** The quote of a reply: from the cached original when there is one, else as stored with the reply. */
  private quoteOf(stored: { serverId: number; senderId: number; preview: string }): { serverId: number; senderId: number; preview: string } {
    const original = this.ctx.db
      .stmt<[number], { sender_id: number; text: string; recalled: number }>(`SELECT sender_id, text, recalled FROM messages WHERE server_id = ?`)
      .get(stored.serverId);
    return original ? { serverId: stored.serverId, senderId: original.sender_id, preview: original.recalled ? '' : preview(original.text) } : stored;
  }

  setStatus(id: string, status: MessageStatus, error?: ErrorInfo): MessageView | undefined {
    return this.ctx.db.transaction(() => {
      const row = this.rowById(id);
      if (!row) return undefined;
      const wasAcked = isAcked(row.status);
      // Once acked, only forward along sent -> delivered -> read; pending/failed no longer apply.
      if (wasAcked && STATUS_RANK[status] <= STATUS_RANK[row.status]) return this.view(row);
      this.ctx.db
        .stmt(`UPDATE messages SET status = ?, error = ? WHERE rowid = ?`)
        .run(status, status === 'failed' && error ? JSON.stringify(error) : null, row.rowid);
      return this.viewByRowid(row.rowid);
    });
  }

  // ------------------------------------------------------------ recall, receipts, delete

  applyRecall(r: WireMessageRecalled): MessageView | undefined {
    const msgId = num(r.msgId);
    return this.ctx.db.transaction(() => {
      const row = this.rowByServerId(msgId);
      if (!row) {
        const key = fromWireRef(r.conversation);
        if (key) this.ctx.db.stmt(`INSERT INTO recall_tombstones (server_id, conv) VALUES (?, ?) ON CONFLICT DO NOTHING`).run(msgId, key);
        return undefined;
      }
      if (row.recalled) return undefined;
      this.recallRow(row);
      return this.viewByRowid(row.rowid);
    });
  }

  private recallRow(row: MessageRow): void {
    // The files go with the text: a recalled message has none (their blobs are left for the cache to evict).
    this.ctx.db.stmt(`UPDATE messages SET recalled = 1, text = '', attachments = NULL WHERE rowid = ?`).run(row.rowid);
    this.index.remove(row.rowid);
    const st = this.conversations.state(row.conv);
    if (st && !row.outgoing && row.conv_seq !== null && row.conv_seq > st.readSeq) this.conversations.recountUnread(row.conv);
  }

  /** An edit, applied only if newer than the text held (events carry a growing `editedAt`). */
  applyEdit(e: WireMessageEdited): MessageView | undefined {
    return this.ctx.db.transaction(() => {
      const row = this.rowByServerId(num(e.msgId));
      const editedAt = num(e.editedAt);
      if (!row || row.recalled || editedAt <= row.edited_at) return undefined;
      this.editRow(row, { text: e.text, mentions: e.mentions.map((m) => num(m.userId)), editedAt });
      return this.viewByRowid(row.rowid);
    });
  }

  /** New text for a known message: the search index follows; who is mentioned follows for unread badges. */
  private editRow(row: MessageRow, edit: { text: string; mentions: number[]; editedAt: number }): void {
    const mentionsMe = !row.outgoing && edit.mentions.some((u) => u === this.ctx.userId || u === 0);
    this.ctx.db
      .stmt(`UPDATE messages SET text = ?, mentions = ?, mentions_me = ?, edited_at = ? WHERE rowid = ?`)
      .run(edit.text, JSON.stringify(edit.mentions), mentionsMe ? 1 : 0, edit.editedAt, row.rowid);
    this.index.remove(row.rowid);
    if (edit.text) this.index.add(row.rowid, row.conv, edit.text);
  }

  /** The server's snapshot of a message's reactions, if newer than the one held. */
  applyReactions(e: WireMessageReactions): MessageView | undefined {
    return this.ctx.db.transaction(() => {
      const row = this.rowByServerId(num(e.msgId));
      const version = num(e.version);
      if (!row || version <= row.reaction_rev) return undefined;
      const reactions = e.reactions.filter((r) => r.userIds.length > 0).map((r) => ({ emoji: r.emoji, userIds: r.userIds.map(num) }));
      this.ctx.db
        .stmt(`UPDATE messages SET reactions = ?, reaction_rev = ? WHERE rowid = ?`)
        .run(reactions.length > 0 ? JSON.stringify(reactions) : null, version, row.rowid);
      return this.viewByRowid(row.rowid);
    });
  }

  /** Deleted for me on one of my devices: gone here too. Returns the removed message's ids, or undefined if it is not cached. */
  applyHidden(e: WireMessageHidden): { id: string; key: ConversationKey } | undefined {
    return this.ctx.db.transaction(() => {
      const row = this.rowByServerId(num(e.msgId));
      if (!row) return undefined;
      this.removeRow(row);
      return { id: row.id, key: row.conv };
    });
  }

  applyReceipt(r: WireReceipt): { messages: MessageView[]; conversation?: ConversationView } {
    const key = fromWireRef(r.conversation);
    if (!key) return { messages: [] };
    const upTo = num(r.upToConvSeq);
    const userId = num(r.userId);
    return this.ctx.db.transaction(() => {
      this.conversations.ensureRow(key);
      if (userId === this.ctx.userId) {
        // Read on another device of mine: clear unread here. (My own "delivered" means nothing to me.)
        if (r.type !== ReceiptType.READ) return { messages: [] };
        return this.conversations.advanceReadSeq(key, upTo) ? { messages: [], conversation: this.conversations.get(key)! } : { messages: [] };
      }
      let which: 'delivered' | 'read';
      if (r.type === ReceiptType.READ) which = 'read';
      else if (r.type === ReceiptType.DELIVERED) which = 'delivered';
      else return { messages: [] };
      const prev = this.conversations.advancePeerSeq(key, which, upTo);
      if (prev === undefined) return { messages: [] };
      // Only the window the receipt newly covers can change; statuses only move forward.
      const targets = which === 'read' ? ['sent', 'delivered'] : ['sent'];
      const rows = this.ctx.db
        .stmt<[string, number, number, string, string], { rowid: number }>(
          `SELECT rowid FROM messages WHERE conv = ? AND sort_key > ? AND sort_key <= ? AND outgoing = 1 AND status IN (?, ?)`,
        )
        .all(key, prev, upTo, targets[0]!, targets[1] ?? targets[0]!);
      const update = this.ctx.db.stmt(`UPDATE messages SET status = ? WHERE rowid = ?`);
      for (const { rowid } of rows) update.run(which, rowid);
      const changed = rows.map(({ rowid }) => this.viewByRowid(rowid));
      const last = changed[changed.length - 1];
      return last ? { messages: changed, conversation: this.conversations.get(key)! } : { messages: changed };
    });
  }

  delete(id: string): { key: ConversationKey } | undefined {
    return this.ctx.db.transaction(() => {
      const row = this.rowById(id);
      if (!row) return undefined;
      this.removeRow(row);
      return { key: row.conv };
    });
  }

  private removeRow(row: MessageRow): void {
    this.index.remove(row.rowid);
    this.ctx.db.stmt(`DELETE FROM messages WHERE rowid = ?`).run(row.rowid);
    const st = this.conversations.state(row.conv);
    if (st && !row.outgoing && !row.recalled && row.conv_seq !== null && row.conv_seq > st.readSeq) this.conversations.recountUnread(row.conv);
    this.conversations.refreshLast(row.conv);
  }

  // ------------------------------------------------------------ paging

  page(key: ConversationKey, options: PageOptions): MessagePage {
    const limit = Math.max(1, Math.floor(options.limit));
    const anchor = options.anchor ? this.ctx.db.stmt<[string, string], { rowid: number; sort_key: number }>(
      `SELECT rowid, sort_key FROM messages WHERE id = ? AND conv = ?`,
    ).get(options.anchor.messageId, key) : undefined;
    if (!options.anchor || !anchor) {
      const rows = this.before(key, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, limit + 1);
      return { messages: rows.slice(0, limit).reverse().map((r) => this.view(r)), hasMoreBefore: rows.length > limit, hasMoreAfter: false };
    }
    switch (options.anchor.direction) {
      case 'before': {
        const rows = this.before(key, anchor.sort_key, anchor.rowid, limit + 1);
        return { messages: rows.slice(0, limit).reverse().map((r) => this.view(r)), hasMoreBefore: rows.length > limit, hasMoreAfter: true };
      }
      case 'after': {
        const rows = this.after(key, anchor.sort_key, anchor.rowid, limit + 1);
        return { messages: rows.slice(0, limit).map((r) => this.view(r)), hasMoreBefore: true, hasMoreAfter: rows.length > limit };
      }
      case 'around': {
        const wantBefore = Math.floor((limit - 1) / 2);
        const beforeRows = this.before(key, anchor.sort_key, anchor.rowid, wantBefore + 1);
        const gotBefore = Math.min(beforeRows.length, wantBefore);
        // The anchor itself comes first in this one (inclusive) query.
        const wantFrom = limit - gotBefore;
        const fromRows = this.after(key, anchor.sort_key, anchor.rowid - 1, wantFrom + 1);
        const gotFrom = Math.min(fromRows.length, wantFrom);
        // If the newer side ran short, fill the page from the older side.
        const extraBefore = Math.max(0, limit - gotFrom - gotBefore);
        const older = extraBefore > 0 ? this.before(key, anchor.sort_key, anchor.rowid, gotBefore + extraBefore + 1) : beforeRows;
        const takeBefore = Math.min(older.length, gotBefore + extraBefore);
        const rows = [...older.slice(0, takeBefore).reverse(), ...fromRows.slice(0, gotFrom)];
        return { messages: rows.map((r) => this.view(r)), hasMoreBefore: older.length > takeBefore, hasMoreAfter: fromRows.length > gotFrom };
      }
    }
  }

  /**
   * Up to `n` rows strictly before (sortKey, rowid), newest first. Row-value
   * comparison, not `a < x OR (a = x AND b < y)`: SQLite turns the OR form
   * into a multi-index OR plus a sort of the whole conversation (0.5 ms at
   * 25k messages, growing), the row value is one index range (0.02 ms).
   */
  private before(key: ConversationKey, sortKey: number, rowid: number, n: number): MessageRow[] {
    return this.ctx.db
      .stmt<[string, number, number, number], MessageRow>(
        `${SELECT} WHERE m.conv = ? AND (m.sort_key, m.rowid) < (?, ?)
         ORDER BY m.sort_key DESC, m.rowid DESC LIMIT ?`,
      )
      .all(key, sortKey, rowid, n);
  }

  // ------------------------------------------------------------ media

  /**
   * A conversation's pictures (`media`) or other files (`files`), newest
   * first, from the partial index of messages with attachments. A page holds
   * whole messages (so it may exceed `limit` by a message's other files);
   * the cursor is the last message's (sort key, rowid).
   */
  listMedia(key: ConversationKey, kind: 'media' | 'files', limit: number, cursor?: string): Page<MediaItem> {
    const want: AttachmentKind = kind === 'media' ? 'image' : 'file';
    const [sortKey, rowid] = parseMediaCursor(cursor);
    const query = this.ctx.db.stmt<[string, number, number, number], MediaRow>(
      `SELECT m.rowid AS rowid, m.id, m.sender_id, m.sent_at, m.sort_key, m.attachments, ${LOCAL_FILES_OF('m')} AS local
       FROM messages m WHERE m.conv = ? AND m.attachments IS NOT NULL AND (m.sort_key, m.rowid) < (?, ?)
       ORDER BY m.sort_key DESC, m.rowid DESC LIMIT ?`,
    );
    const items: MediaItem[] = [];
    let last: MediaRow | undefined;
    let after: [number, number] = [sortKey, rowid];
    const batch = Math.max(limit, 50);
    for (;;) {
      const rows = query.all(key, after[0], after[1], batch);
      for (const r of rows) {
        const views = attachmentViews(parseStored(r.attachments), r.local).filter((a) => a.kind === want);
        for (const attachment of views) items.push({ messageId: r.id, senderId: r.sender_id, sentAt: r.sent_at, attachment });
        last = r;
        if (items.length >= limit) break;
      }
      if (items.length >= limit || rows.length < batch) {
        const more = items.length >= limit && last !== undefined;
        return more ? { items, nextCursor: `${last!.sort_key}:${last!.rowid}` } : { items };
      }
      after = [last!.sort_key, last!.rowid];
    }
  }

  refersToFile(digest: string, exceptId: string): boolean {
    // Digests are 64 hex characters: a substring match on the JSON cannot hit anything else. Rare (deleting an unsent message): a scan of the messages with files is fine.
    return !!this.ctx.db
      .stmt<[string, string], { one: number }>(`SELECT 1 AS one FROM messages WHERE attachments IS NOT NULL AND id <> ? AND recalled = 0 AND instr(attachments, ?) > 0 LIMIT 1`)
      .get(exceptId, digest);
  }

  /** Ids of the (not recalled) messages with a file among `digests` (any part: the file, its preview). Same substring match as `refersToFile`. */
  referringToFiles(digests: readonly string[]): string[] {
    return this.ctx.db
      .stmt<[string], { id: string }>(
        `SELECT id FROM messages WHERE attachments IS NOT NULL AND recalled = 0 AND EXISTS (SELECT 1 FROM json_each(?) d WHERE instr(messages.attachments, d.value) > 0)`,
      )
      .all(JSON.stringify(digests))
      .map((r) => r.id);
  }

  /** The stored attachments of a message, for transfers (keys included: never leaves the core). */
  storedAttachments(id: string): { key: ConversationKey; outgoing: boolean; status: MessageStatus; list: StoredAttachment[] } | undefined {
    const r = this.ctx.db
      .stmt<[string], { conv: ConversationKey; outgoing: number; status: MessageStatus; attachments: string | null; recalled: number }>(
        `SELECT conv, outgoing, status, attachments, recalled FROM messages WHERE id = ?`,
      )
      .get(id);
    if (!r) return undefined;
    return { key: r.conv, outgoing: r.outgoing !== 0, status: r.status, list: r.recalled ? [] : parseStored(r.attachments) };
  }

  /** Up to `n` rows strictly after (sortKey, rowid), oldest first. */
  private after(key: ConversationKey, sortKey: number, rowid: number, n: number): MessageRow[] {
    return this.ctx.db
      .stmt<[string, number, number, number], MessageRow>(
        `${SELECT} WHERE m.conv = ? AND (m.sort_key, m.rowid) > (?, ?)
         ORDER BY m.sort_key, m.rowid LIMIT ?`,
      )
      .all(key, sortKey, rowid, n);
  }
}
