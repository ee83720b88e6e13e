/**
 * Messages: send (de-duplicated by sender + client id), recall, receipts,
 * and who gets a typing notice.
 *
 * Receipts: DELIVERED is recorded when a recipient's device acknowledges the
 * PUSH of a message or pulls it with SYNC; READ with MARK_READ. In 1:1
 * chats both go to the peer. In groups they are kept per member but sent
 * only to the member's own devices (unread counts across devices): a
 * per-message "read by" list would cost members x messages events.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  ConversationType,
  FriendState,
  GroupRole,
  MessageRecalledSchema,
  ReceiptSchema,
  ReceiptType,
  ResultCode,
  SyncDomain,
  SyncEventSchema,
  type Message,
} from '../../shared/protocol';
import { ConversationKind, type ConversationRow, type MessageRow, type Tx } from '../storage/store';
import type { Caller } from '../services/deps';
import { fail, invalid, ServiceError } from '../services/errors';
import { big } from '../services/validate';
import { requireUser } from './access';
import { loadEvent, type MessageHandle } from './events';
import { GROUP_ACTION_ID_PREFIX } from './group-actions';
import { requireMembership } from './groups';
import { readOperation, writeOperation, type WriteContext } from './operation';
import { encodeTextMessageEvent, type SendAck } from './message-encoding';
import { clearMarkedUnread } from './settings';
import { conversationRefFor, renderMessage } from './render';

/** A conversation as the caller names it: the peer's user id, or the group id. */
export interface Target {
  type: ConversationType;
  id: number;
}

interface Resolved {
  conv: ConversationRow;
  participants: number[];
  /** The caller's group role (groups only). */
  role: GroupRole;
}

/** A plain object, not protobuf-es's: the SQLite worker encodes it by hand (encodeSendMessageAck), the dispatcher with protobuf-es. */
function ackOf(row: MessageRow, duplicate: boolean): SendAck {
  return { msgId: big(row.id), convSeq: big(row.conv_seq), sentAt: big(row.sent_at), userSeq: big(row.sender_seq), duplicate };
}

export function targetFor(conv: ConversationRow, viewerId: number): Target {
  if (conv.kind === ConversationKind.GROUP) return { type: ConversationType.GROUP, id: conv.group_id! };
  return { type: ConversationType.DIRECT, id: conv.user_lo === viewerId ? conv.user_hi! : conv.user_lo! };
}

/** Crosses to the SQLite worker field by field (worker-channel.ts, the `send` codec): a new field goes there too. */
export interface SendArgs {
  caller: Caller;
  to: Target;
  clientMsgId: string;
  text: string;
  replyTo: number;
  mentions: number[];
  /** The attachments as sent (a Message protobuf with only `attachments` set), checked by the service; null for text. */
  attachments: Uint8Array | null;
  /** The blobs they carry: recorded with the message (download access, cleanup). */
  digests: string[];
}

/**
 * A resend this soon after the original may mean its first answer was lost
 * with its pushes (a database connection that died inside COMMIT: the write
 * was stored, yet answered UNAVAILABLE and never pushed). Later than this,
 * anything the participants missed has long shown as a gap or been synced.
 */
export const REPUSH_WINDOW_MS = 10 * 60_000;

/**
 * Stores a message once, with an event for each participant; a resend (same
 * client id) gets the original ack, and each participant's latest event is
 * pushed again (`repushLatest`).
 */
export const sendMessage = writeOperation('messages.send', async ({ tx, events, now }, a: SendArgs): Promise<SendAck> => {
  const { caller, to } = a;
  // The duplicate check and the rows a 1:1 send checks (both friendship states, the conversation), read together in
  // one await: one round trip on PostgreSQL (the connection pipelines); on SQLite every one of them is at hand.
  const direct = to.type === ConversationType.DIRECT && to.id !== caller.userId;
  const [original, mine, theirs, directConv] = await Promise.all([
    tx.messages.bySenderClientId(caller.userId, a.clientMsgId),
    direct ? tx.friends.get(caller.userId, to.id) : undefined,
    direct ? tx.friends.get(to.id, caller.userId) : undefined,
    direct ? tx.conversations.direct(caller.userId, to.id) : undefined,
  ]);
  if (original) {
    if (now - original.sent_at <= REPUSH_WINDOW_MS) await repushLatest(tx, events, original);
    return ackOf(original, true);
  }
  const known: DirectRows | undefined = direct ? { mine: mine?.state, theirs: theirs?.state, conv: directConv } : undefined;
  const { conv, participants, role } = await resolve(tx, caller, to, true, known);
  const mentions = a.mentions.length === 0 ? a.mentions : await checkMentions(tx, a.mentions, conv, role);
  if (a.replyTo !== 0) {
    const quoted = await tx.messages.byId(a.replyTo);
    if (!quoted || quoted.conv_id !== conv.id) throw invalid('reply_to_msg_id', 'the quoted message is not in this conversation');
  }
  const message = new SentMessage(conv);
  const sender = events.appendMessage(caller.userId, SyncDomain.MESSAGES, message, caller.sessionId);
  for (const userId of participants) if (userId !== caller.userId) events.appendMessage(userId, SyncDomain.MESSAGES, message);
  // The conversation's sequence, then the participants' (one lock order: conversation, then users ascending), in one round trip on PostgreSQL.
  const [convSeq] = await Promise.all([tx.conversations.nextSeq(conv.id), events.allocate()]);
  const row: MessageRow = {
    id: 0,
    conv_id: conv.id,
    conv_seq: convSeq,
    sender_id: caller.userId,
    client_msg_id: a.clientMsgId,
    sent_at: now,
    text: a.text,
    mentions: mentions.join(','),
    reply_to: a.replyTo,
    sender_seq: sender.seq,
    recalled_by: 0,
    attachments: a.attachments,
  };
  row.id = message.id = await tx.messages.insert(row);
  if (a.digests.length > 0) await tx.blobs.addReferences(message.id, a.digests);
  message.row = row;
  return ackOf(row, false);
}, {
  // Sends to one conversation all take its sequence: run them together where transactions run side by side.
  batchKey: (a) => (a.to.type === ConversationType.GROUP ? `g${a.to.id}` : `d${Math.min(a.caller.userId, a.to.id)}:${Math.max(a.caller.userId, a.to.id)}`),
});

/** A message being sent: rendered for each participant when the events are flushed, once its row (and id) exists. */
class SentMessage implements MessageHandle {
  id = 0;
  row: MessageRow | undefined;
  constructor(private readonly conv: ConversationRow) {}
  render(viewerId: number): Message {
    return renderMessage(this.row!, this.conv, viewerId);
  }
  encodeEvent(seq: number, domain: SyncDomain, viewerId: number): Uint8Array | undefined {
    return encodeTextMessageEvent(seq, domain, this.row!, this.conv, viewerId);
  }
}

/**
 * On a resend: pushes each participant's latest event again. A device that
 * missed the message's push then either gets it (it was the latest) or sees a
 * sequence gap and syncs (the push is a hint; applying an event twice changes
 * nothing). Two primary-key reads per participant, nothing written; without
 * it an online recipient would wait for the next message or reconnect.
 */
async function repushLatest(tx: Tx, events: WriteContext['events'], original: MessageRow): Promise<void> {
  const conv = await tx.conversations.byId(original.conv_id);
  if (!conv) return;
  const participants = conv.kind === ConversationKind.GROUP ? await tx.groups.memberIds(conv.group_id!) : [conv.user_lo!, conv.user_hi!];
  for (const userId of participants) {
    const head = await tx.sequences.head(userId);
    const [row] = head > 0 ? await tx.events.list(userId, head - 1, 1, []) : [];
    const event = row && (await loadEvent(tx, row));
    if (event) events.repush({ userId, seq: row.seq, payload: toBinary(SyncEventSchema, event) });
  }
}

export const recallMessage = writeOperation('messages.recall', async ({ tx, events, now }, a: { caller: Caller; msgId: number; recallWindowMs: number }) => {
  const { caller } = a;
  const msg = await tx.messages.byId(a.msgId);
  const conv = msg && (await tx.conversations.byId(msg.conv_id));
  if (!msg || !conv) throw fail(ResultCode.NOT_FOUND, 'no such message');
  const { participants, role } = await resolve(tx, caller, targetFor(conv, caller.userId), false);
  if (msg.recalled_by !== 0) return; // already recalled: idempotent
  if (msg.client_msg_id.startsWith(GROUP_ACTION_ID_PREFIX)) throw fail(ResultCode.PERMISSION_DENIED, 'a group service message cannot be recalled');
  if (msg.sender_id === caller.userId) {
    if (now - msg.sent_at > a.recallWindowMs) throw fail(ResultCode.RECALL_WINDOW_EXPIRED, 'recall window expired');
  } else {
    // Moderation: in groups an owner/admin may recall messages of lower roles, at any time.
    const senderRole = conv.kind === ConversationKind.GROUP ? ((await tx.groups.member(conv.group_id!, msg.sender_id))?.role ?? GroupRole.MEMBER) : GroupRole.OWNER;
    if (conv.kind !== ConversationKind.GROUP || role < GroupRole.ADMIN || senderRole >= role) {
      throw fail(ResultCode.PERMISSION_DENIED, 'you may only recall your own messages');
    }
  }
  await tx.messages.recall(msg.id, caller.userId);
  for (const userId of new Set([...participants, msg.sender_id])) {
    const value = create(MessageRecalledSchema, { conversation: conversationRefFor(conv, userId), msgId: big(msg.id), convSeq: big(msg.conv_seq), recalledBy: big(caller.userId) });
    // The sender may have left a group: they still see their message recalled.
    if (await tx.users.byId(userId)) events.append(userId, SyncDomain.MESSAGES, { case: 'recalled', value });
  }
});

export const markRead = writeOperation('messages.markRead', async ({ tx, events, now }, a: { caller: Caller; conversation: Target; upToConvSeq: number }) => {
  const { caller } = a;
  const { conv } = await resolve(tx, caller, a.conversation, false);
  await clearMarkedUnread(tx, events, now, caller.userId, a.conversation);
  const upTo = Math.min(a.upToConvSeq, await tx.conversations.seqHead(conv.id));
  if (upTo <= 0 || !(await tx.messages.advanceRead(conv.id, caller.userId, upTo))) return;
  const receipt = (viewer: number) =>
    create(ReceiptSchema, { conversation: conversationRefFor(conv, viewer), userId: big(caller.userId), type: ReceiptType.READ, upToConvSeq: big(upTo), at: big(now) });
  events.append(caller.userId, SyncDomain.MESSAGES, { case: 'receipt', value: receipt(caller.userId) });
  if (conv.kind === ConversationKind.DIRECT) {
    const peer = a.conversation.id;
    events.append(peer, SyncDomain.MESSAGES, { case: 'receipt', value: receipt(peer) });
  }
});

/**
 * Devices acknowledged the pushes of these events (PUSH_ACK, coalesced by the
 * caller): at most one delivered receipt per user and 1:1 conversation.
 */
export const recordPushAcks = writeOperation('messages.recordPushAcks', async (ctx, acks: Array<{ userId: number; seq: number }>) => {
  const latest = new Map<string, { userId: number; convId: number; convSeq: number; senderId: number }>();
  // Looked up together: on PostgreSQL the lookups of a whole batch of acks share one round trip (the connection pipelines).
  const refs = await Promise.all(acks.map(({ userId, seq }) => ctx.tx.messages.deliveryRef(userId, seq)));
  for (const [i, { userId }] of acks.entries()) {
    const msg = refs[i]; // undefined: not a message event
    if (!msg || msg.sender_id === userId) continue;
    const key = `${userId}:${msg.conv_id}`;
    const seen = latest.get(key);
    if (!seen || seen.convSeq < msg.conv_seq) latest.set(key, { userId, convId: msg.conv_id, convSeq: msg.conv_seq, senderId: msg.sender_id });
  }
  for (const d of latest.values()) await delivered(ctx, d.userId, d.convId, d.convSeq, d.senderId);
});

/** The user pulled these messages with SYNC: the latest from each peer counts as delivered. */
export const recordPulled = writeOperation(
  'messages.recordPulled',
  async (ctx, a: { userId: number; deliveries: Array<{ convId: number; convSeq: number; senderId: number }> }) => {
    for (const d of a.deliveries) await delivered(ctx, a.userId, d.convId, d.convSeq, d.senderId);
  },
);

/** Delivered up to `convSeq` in a 1:1 conversation: a receipt for the sender. */
async function delivered({ tx, events, now }: WriteContext, userId: number, convId: number, convSeq: number, senderId: number): Promise<void> {
  if (senderId === userId) return;
  const conv = await tx.conversations.byId(convId);
  if (!conv || conv.kind !== ConversationKind.DIRECT) return;
  if (!(await tx.messages.advanceDelivered(convId, userId, convSeq))) return;
  const value = create(ReceiptSchema, {
    conversation: conversationRefFor(conv, senderId),
    userId: big(userId),
    type: ReceiptType.DELIVERED,
    upToConvSeq: big(convSeq),
    at: big(now),
  });
  events.append(senderId, SyncDomain.MESSAGES, { case: 'receipt', value });
}

/** Who gets the caller's typing notice: the peer (friends only) or the other group members. */
export const typingAudience = readOperation('messages.typingAudience', async ({ tx }, a: { caller: Caller; conversation: Target }): Promise<number[]> => {
  const { caller, conversation } = a;
  if (conversation.type === ConversationType.GROUP) {
    await requireMembership(tx, caller, conversation.id);
    return (await tx.groups.memberIds(conversation.id)).filter((id) => id !== caller.userId);
  }
  await requireFriendship(tx, caller.userId, conversation.id);
  return [conversation.id];
});

/**
 * The conversation and who is in it, checking the caller may use it.
 * `forSend`: 1:1 sends require a friendship and no block, and create the conversation.
 */
export async function resolve(tx: Tx, caller: Caller, ref: Target, forSend: boolean, known?: DirectRows): Promise<Resolved> {
  if (ref.type === ConversationType.GROUP) {
    const { me } = await requireMembership(tx, caller, ref.id);
    const conv = await tx.conversations.ensureGroup(ref.id);
    return { conv, participants: await tx.groups.memberIds(ref.id), role: me.role as GroupRole };
  }
  const peer = ref.id;
  if (peer === caller.userId) throw invalid('conversation.id', 'cannot message yourself');
  if (!forSend) await requireUser(tx, peer);
  else if (!known || !bothFriends(known)) await requireFriendship(tx, caller.userId, peer, known); // else nothing to wait for
  const conv = forSend ? (known?.conv ?? (await tx.conversations.ensureDirect(caller.userId, peer))) : await tx.conversations.direct(caller.userId, peer);
  if (!conv) throw fail(ResultCode.NOT_FOUND, 'no such conversation');
  return { conv, participants: [caller.userId, peer], role: GroupRole.UNSPECIFIED };
}

/**
 * The peer exists (else NOT_FOUND), neither blocks the other (BLOCKED) and
 * both are friends (NOT_FRIENDS), with each of the two friendship rows read
 * once and the user row only when they are not friends (a friendship row
 * implies the user: users are disabled, never deleted). Runs on every 1:1 send.
 */
async function requireFriendship(tx: Tx, userId: number, peer: number, known?: DirectRows): Promise<void> {
  const rows = known ?? (await readFriendship(tx, userId, peer));
  if (bothFriends(rows)) return;
  const { mine, theirs } = rows;
  await requireUser(tx, peer);
  if (mine === FriendState.BLOCKED || theirs === FriendState.BLOCKED) throw fail(ResultCode.BLOCKED, 'blocked');
  if (mine !== FriendState.FRIEND || theirs !== FriendState.FRIEND) throw fail(ResultCode.NOT_FRIENDS, 'not friends');
}

function bothFriends({ mine, theirs }: Omit<DirectRows, 'conv'>): boolean {
  return mine === FriendState.FRIEND && theirs === FriendState.FRIEND;
}

/** What a 1:1 send checks, read ahead: both friendship states and the conversation (undefined: not created yet). */
interface DirectRows {
  mine: number | undefined;
  theirs: number | undefined;
  conv: ConversationRow | undefined;
}

async function readFriendship(tx: Tx, userId: number, peer: number): Promise<Omit<DirectRows, 'conv'>> {
  // Asked together: on PostgreSQL the two reads share a round trip (the connection pipelines).
  const [mine, theirs] = await Promise.all([tx.friends.get(userId, peer), tx.friends.get(peer, userId)]);
  return { mine: mine?.state, theirs: theirs?.state };
}

export async function checkMentions(tx: Tx, mentions: readonly number[], conv: ConversationRow, role: GroupRole): Promise<number[]> {
  if (conv.kind !== ConversationKind.GROUP || mentions.length === 0) return [];
  const ids = new Set<number>();
  for (const userId of mentions) {
    if (userId === 0) {
      if (role < GroupRole.ADMIN) throw new ServiceError(ResultCode.PERMISSION_DENIED, '@all is for owners and admins');
    } else if (!(await tx.groups.member(conv.group_id!, userId))) {
      throw invalid('mentions', `user ${userId} is not a member`);
    }
    ids.add(userId);
  }
  return [...ids];
}
