/**
 * Messages: send (group-committed, de-duplicated by sender + client id),
 * recall, receipts and typing.
 *
 * Receipts: DELIVERED is recorded when a recipient's device acknowledges the
 * PUSH of a message or pulls it with SYNC; READ with MARK_READ. In 1:1
 * chats both go to the peer. In groups they are kept per member but sent
 * only to the member's own devices (unread counts across devices): a
 * per-message "read by" list would cost members x messages events.
 */
import { create } from '@bufbuild/protobuf';
import {
  ConversationRefSchema,
  ConversationType,
  FriendState,
  GroupRole,
  MessageRecalledSchema,
  ReceiptSchema,
  ReceiptType,
  ResultCode,
  SendMessageAckSchema,
  SyncDomain,
  TypingNoticeSchema,
  type ConversationRef,
  type MarkReadRequest,
  type RecallRequest,
  type SendMessageAck,
  type SendMessageRequest,
  type TypingRequest,
} from '../../shared/protocol';
import { ConversationKind, type ConversationRow, type MessageRow } from '../storage/store';
import { requireUser } from './access';
import type { WriteBatcher } from './batcher';
import type { Caller, ServiceDeps } from './deps';
import { fail, invalid, ServiceError } from './errors';
import type { GroupService } from './groups';
import { conversationRefFor, renderMessage } from './render';
import { big, charLength, requireId, requireText, toNumber } from './validate';

/** A conversation as the caller names it, with a number id. */
interface Target {
  type: ConversationType;
  id: number;
}

function targetFor(conv: ConversationRow, viewerId: number): Target {
  if (conv.kind === ConversationKind.GROUP) return { type: ConversationType.GROUP, id: conv.group_id! };
  return { type: ConversationType.DIRECT, id: conv.user_lo === viewerId ? conv.user_hi! : conv.user_lo! };
}

interface Resolved {
  conv: ConversationRow;
  participants: number[];
  /** The caller's group role (groups only). */
  role: GroupRole;
}

function ackOf(row: MessageRow, duplicate: boolean): SendMessageAck {
  return create(SendMessageAckSchema, { msgId: big(row.id), convSeq: big(row.conv_seq), sentAt: big(row.sent_at), userSeq: big(row.sender_seq), duplicate });
}

export class MessageService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly groups: GroupService,
    private readonly batcher: WriteBatcher,
  ) {}

  /** Resolves once the message is committed (or the original ack for a resend). */
  send(caller: Caller, req: SendMessageRequest): Promise<SendMessageAck> {
    const { config } = this.deps;
    requireText('client_msg_id', req.clientMsgId, 1, 64);
    if (req.text.length === 0) throw invalid('text', 'text is empty');
    if (charLength(req.text) > config.maxTextLength) throw fail(ResultCode.MESSAGE_TOO_LARGE, `text exceeds ${config.maxTextLength} characters`);
    if (req.mentions.length > 100) throw invalid('mentions', 'too many mentions');
    const to = this.checkRef(req.to);
    const replyTo = toNumber('reply_to_msg_id', req.replyToMsgId);
    const mentions = req.mentions.map((m) => toNumber('mentions', m.userId));
    return this.batcher.run(() => this.store(caller, req, to, replyTo, mentions));
  }

  private store(caller: Caller, req: SendMessageRequest, to: Target, replyTo: number, mentionIds: number[]): SendMessageAck {
    const { store, events, clock } = this.deps;
    const original = store.messages.bySenderClientId(caller.userId, req.clientMsgId);
    if (original) return ackOf(original, true);
    const { conv, participants, role } = this.resolve(caller, to, true);
    const mentions = this.checkMentions(mentionIds, conv, role);
    if (replyTo !== 0) {
      const quoted = store.messages.byId(replyTo);
      if (!quoted || quoted.conv_id !== conv.id) throw invalid('reply_to_msg_id', 'the quoted message is not in this conversation');
    }
    const convSeq = store.conversations.nextSeq(conv.id);
    // The sender's event is appended first, so its sequence is the next one.
    const senderSeq = store.users.seqHead(caller.userId) + 1;
    const row: Omit<MessageRow, 'id' | 'recalled_by'> = {
      conv_id: conv.id,
      conv_seq: convSeq,
      sender_id: caller.userId,
      client_msg_id: req.clientMsgId,
      sent_at: clock.now(),
      text: req.text,
      mentions: mentions.join(','),
      reply_to: replyTo,
      sender_seq: senderSeq,
    };
    const id = store.messages.insert(row);
    const full: MessageRow = { ...row, id, recalled_by: 0 };
    const render = (userId: number) => () => ({ case: 'message' as const, value: renderMessage(full, conv, userId) });
    events.appendMessage(caller.userId, SyncDomain.MESSAGES, id, render(caller.userId), caller.sessionId, senderSeq);
    for (const userId of participants) {
      if (userId !== caller.userId) events.appendMessage(userId, SyncDomain.MESSAGES, id, render(userId));
    }
    return ackOf(full, false);
  }

  recall(caller: Caller, req: RecallRequest): void {
    const { store, events, clock, config } = this.deps;
    const msgId = requireId('msg_id', req.msgId);
    events.commit(() => {
      const msg = store.messages.byId(msgId);
      const conv = msg && store.conversations.byId(msg.conv_id);
      if (!msg || !conv) throw fail(ResultCode.NOT_FOUND, 'no such message');
      const { participants, role } = this.resolve(caller, targetFor(conv, caller.userId), false);
      if (msg.recalled_by !== 0) return; // already recalled: idempotent
      if (msg.sender_id === caller.userId) {
        if (clock.now() - msg.sent_at > config.recallWindowMs) throw fail(ResultCode.RECALL_WINDOW_EXPIRED, 'recall window expired');
      } else {
        // Moderation: in groups an owner/admin may recall messages of lower roles, at any time.
        const senderRole = conv.kind === ConversationKind.GROUP ? (store.groups.member(conv.group_id!, msg.sender_id)?.role ?? GroupRole.MEMBER) : GroupRole.OWNER;
        if (conv.kind !== ConversationKind.GROUP || role < GroupRole.ADMIN || senderRole >= role) {
          throw fail(ResultCode.PERMISSION_DENIED, 'you may only recall your own messages');
        }
      }
      store.messages.recall(msg.id, caller.userId);
      for (const userId of new Set([...participants, msg.sender_id])) {
        const value = create(MessageRecalledSchema, { conversation: conversationRefFor(conv, userId), msgId: big(msg.id), convSeq: big(msg.conv_seq), recalledBy: big(caller.userId) });
        // The sender may have left a group: they still see their message recalled.
        if (store.users.byId(userId)) events.append(userId, SyncDomain.MESSAGES, { case: 'recalled', value });
      }
    });
  }

  markRead(caller: Caller, req: MarkReadRequest): void {
    const { store, events, clock } = this.deps;
    const ref = this.checkRef(req.conversation);
    events.commit(() => {
      const { conv } = this.resolve(caller, ref, false);
      const upTo = Math.min(toNumber('up_to_conv_seq', req.upToConvSeq), store.conversations.seqHead(conv.id));
      if (upTo <= 0 || !store.messages.advanceRead(conv.id, caller.userId, upTo)) return;
      const at = clock.now();
      const receipt = (viewer: number) =>
        create(ReceiptSchema, { conversation: conversationRefFor(conv, viewer), userId: big(caller.userId), type: ReceiptType.READ, upToConvSeq: big(upTo), at: big(at) });
      events.append(caller.userId, SyncDomain.MESSAGES, { case: 'receipt', value: receipt(caller.userId) });
      if (conv.kind === ConversationKind.DIRECT) {
        const peer = ref.id;
        events.append(peer, SyncDomain.MESSAGES, { case: 'receipt', value: receipt(peer) });
      }
    });
  }

  /** PUSH_ACKs waiting for the next group commit. */
  private acks: Array<{ userId: number; seq: number }> = [];

  /**
   * A device of `userId` holds the event `seq` (PUSH_ACK). Acks are coalesced:
   * one write job per group commit turns all of them into at most one
   * delivered receipt per conversation. Nothing is answered to the client.
   */
  pushAcked(userId: number, rawSeq: bigint): void {
    if (rawSeq <= 0n || rawSeq > BigInt(Number.MAX_SAFE_INTEGER)) return;
    this.acks.push({ userId, seq: Number(rawSeq) });
    if (this.acks.length > 1) return; // a flush is already queued
    this.batcher.run(() => this.flushAcks()).catch((err: unknown) => this.deps.logger.warn({ err }, 'push ack bookkeeping failed'));
  }

  private flushAcks(): void {
    const { store } = this.deps;
    const acks = this.acks;
    this.acks = [];
    const latest = new Map<string, { userId: number; convId: number; convSeq: number; senderId: number }>();
    for (const { userId, seq } of acks) {
      const msg = store.messages.deliveryRef(userId, seq); // undefined: not a message event
      if (!msg || msg.sender_id === userId) continue;
      const key = `${userId}:${msg.conv_id}`;
      const seen = latest.get(key);
      if (!seen || seen.convSeq < msg.conv_seq) latest.set(key, { userId, convId: msg.conv_id, convSeq: msg.conv_seq, senderId: msg.sender_id });
    }
    for (const d of latest.values()) this.delivered(d.userId, d.convId, d.convSeq, d.senderId);
  }

  /** Delivered up to `convSeq` in 1:1 conversations (call inside a commit). */
  delivered(userId: number, convId: number, convSeq: number, senderId: number): void {
    const { store, events, clock } = this.deps;
    if (senderId === userId) return;
    const conv = store.conversations.byId(convId);
    if (!conv || conv.kind !== ConversationKind.DIRECT) return;
    if (!store.messages.advanceDelivered(convId, userId, convSeq)) return;
    const value = create(ReceiptSchema, {
      conversation: conversationRefFor(conv, senderId),
      userId: big(userId),
      type: ReceiptType.DELIVERED,
      upToConvSeq: big(convSeq),
      at: big(clock.now()),
    });
    events.append(senderId, SyncDomain.MESSAGES, { case: 'receipt', value });
  }

  runDeliveries(fn: () => void): Promise<void> {
    return this.batcher.run(fn);
  }

  /** Typing notices go to the online devices of the peer or the other group members; nothing is stored. */
  typing(caller: Caller, req: TypingRequest): void {
    const { store, notifier } = this.deps;
    const ref = this.checkRef(req.conversation);
    let recipients: number[];
    let conversation: ConversationRef;
    if (ref.type === ConversationType.GROUP) {
      this.groups.membership(caller, ref.id);
      recipients = store.groups.memberIds(ref.id).filter((id) => id !== caller.userId);
      conversation = create(ConversationRefSchema, { type: ConversationType.GROUP, id: big(ref.id) });
    } else {
      this.requireFriendship(caller.userId, ref.id);
      recipients = [ref.id];
      conversation = create(ConversationRefSchema, { type: ConversationType.DIRECT, id: big(caller.userId) });
    }
    notifier.typing(recipients, create(TypingNoticeSchema, { conversation, userId: big(caller.userId), typing: req.typing }));
  }

  private checkRef(ref: ConversationRef | undefined): Target {
    if (!ref) throw invalid('conversation', 'conversation is required');
    if (ref.type !== ConversationType.DIRECT && ref.type !== ConversationType.GROUP) throw invalid('conversation.type', 'unknown conversation type');
    return { type: ref.type, id: requireId('conversation.id', ref.id) };
  }

  /**
   * The conversation and who is in it, checking the caller may use it.
   * `forSend`: 1:1 sends require a friendship and no block, and create the conversation.
   */
  private resolve(caller: Caller, ref: Target, forSend: boolean): Resolved {
    const { store } = this.deps;
    if (ref.type === ConversationType.GROUP) {
      const { me } = this.groups.membership(caller, ref.id);
      const conv = store.conversations.ensureGroup(ref.id);
      return { conv, participants: store.groups.memberIds(ref.id), role: me.role as GroupRole };
    }
    const peer = ref.id;
    if (peer === caller.userId) throw invalid('conversation.id', 'cannot message yourself');
    if (forSend) this.requireFriendship(caller.userId, peer);
    else requireUser(store, peer);
    const conv = forSend ? store.conversations.ensureDirect(caller.userId, peer) : store.conversations.direct(caller.userId, peer);
    if (!conv) throw fail(ResultCode.NOT_FOUND, 'no such conversation');
    return { conv, participants: [caller.userId, peer], role: GroupRole.UNSPECIFIED };
  }

  /**
   * The peer exists (else NOT_FOUND), neither blocks the other (BLOCKED) and
   * both are friends (NOT_FRIENDS): requireUser + blockedBetween + isFriend
   * both ways (access.ts), with each of the two friendship rows read once and
   * the user row only when they are not friends (a friendship row implies
   * the user: users are disabled, never deleted). Runs on every 1:1 send.
   */
  private requireFriendship(userId: number, peer: number): void {
    const { store } = this.deps;
    const mine = store.friends.get(userId, peer)?.state;
    const theirs = store.friends.get(peer, userId)?.state;
    if (mine === FriendState.FRIEND && theirs === FriendState.FRIEND) return;
    requireUser(store, peer);
    if (mine === FriendState.BLOCKED || theirs === FriendState.BLOCKED) throw fail(ResultCode.BLOCKED, 'blocked');
    if (mine !== FriendState.FRIEND || theirs !== FriendState.FRIEND) throw fail(ResultCode.NOT_FRIENDS, 'not friends');
  }

  private checkMentions(mentions: readonly number[], conv: ConversationRow, role: GroupRole): number[] {
    if (conv.kind !== ConversationKind.GROUP || mentions.length === 0) return [];
    const ids = new Set<number>();
    for (const userId of mentions) {
      if (userId === 0) {
        if (role < GroupRole.ADMIN) throw new ServiceError(ResultCode.PERMISSION_DENIED, '@all is for owners and admins');
      } else if (!this.deps.store.groups.member(conv.group_id!, userId)) {
        throw invalid('mentions', `user ${userId} is not a member`);
      }
      ids.add(userId);
    }
    return [...ids];
  }
}
