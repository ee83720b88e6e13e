/**
 * Messages: checks sends, recalls, read marks and typing notices, and runs
 * their operations (server/operations/messages.ts). Sends queued together
 * share one commit (the store's group commit); an ack resolves only once the
 * message is durably stored.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  ConversationRefSchema,
  ConversationType,
  MessageSchema,
  ResultCode,
  type Attachment,
  TypingNoticeSchema,
  type ConversationRef,
  type EditMessageRequest,
  type HideRequest,
  type ReactRequest,
  type MarkReadRequest,
  type RecallRequest,
  type SendMessageRequest,
  type TypingRequest,
} from '../../shared/protocol';
import { markRead, recallMessage, recordPulled, recordPushAcks, sendMessage, typingAudience } from '../operations/messages';
import { GROUP_ACTION_ID_PREFIX } from '../operations/group-actions';
import type { SendAck } from '../operations/message-encoding';
import { editMessage, hideMessage, reactToMessage } from '../operations/message-actions';
import type { AttachmentService } from './attachments';
import type { Caller, ServiceDeps } from './deps';
import { fail, invalid } from './errors';
import { big, longerThan, requireConversationRef, requireEmoji, requireId, requireText, toNumber } from './validate';

export class MessageService {
  /** PUSH_ACKs waiting for the next turn of the event loop. */
  private acks: Array<{ userId: number; seq: number }> = [];

  /** Checks a message's attachments (set by the server assembly; without it, messages carry text only). */
  attachments: Pick<AttachmentService, 'check'> | undefined;

  constructor(private readonly deps: ServiceDeps) {}

  /** Resolves once the message is committed (or with the original ack for a resend). */
  send(caller: Caller, req: SendMessageRequest): Promise<SendAck> {
    const { config } = this.deps;
    requireText('client_msg_id', req.clientMsgId, 1, 64);
    if (req.clientMsgId.startsWith(GROUP_ACTION_ID_PREFIX)) throw invalid('client_msg_id', `client_msg_id may not start with "${GROUP_ACTION_ID_PREFIX}" (group service messages)`);
    const files = req.attachments ?? [];
    // With files the text is an optional caption.
    if (req.text.length === 0 && files.length === 0) throw invalid('text', 'text is empty');
    if (longerThan(req.text, config.maxTextLength)) throw fail(ResultCode.MESSAGE_TOO_LARGE, `text exceeds ${config.maxTextLength} characters`);
    if (req.mentions.length > 100) throw invalid('mentions', 'too many mentions');
    const to = checkRef(req.to);
    const replyTo = toNumber('reply_to_msg_id', req.replyToMsgId);
    const mentions = req.mentions.map((m) => toNumber('mentions', m.userId));
    const args = { caller, to, clientMsgId: req.clientMsgId, text: req.text, replyTo, mentions, attachments: null, digests: [] };
    if (files.length === 0) return this.deps.run.write(sendMessage, args);
    return this.withAttachments(caller, files).then((a) => this.deps.run.write(sendMessage, { ...args, ...a }));
  }

  /** Checks the files (stored, readable by the sender) before the write; they are stored with the message as sent. */
  private async withAttachments(caller: Caller, files: Attachment[]): Promise<{ attachments: Uint8Array; digests: string[] }> {
    if (!this.attachments) throw fail(ResultCode.PERMISSION_DENIED, 'attachments are turned off on this server');
    const digests = await this.attachments.check(caller, files);
    return { attachments: toBinary(MessageSchema, create(MessageSchema, { attachments: files })), digests };
  }

  recall(caller: Caller, req: RecallRequest): Promise<void> {
    return this.deps.run.write(recallMessage, { caller, msgId: requireId('msg_id', req.msgId), recallWindowMs: this.deps.config.recallWindowMs });
  }

  edit(caller: Caller, req: EditMessageRequest): Promise<void> {
    const { config } = this.deps;
    const msgId = requireId('msg_id', req.msgId);
    if (longerThan(req.text, config.maxTextLength)) throw fail(ResultCode.MESSAGE_TOO_LARGE, `text exceeds ${config.maxTextLength} characters`);
    if (req.mentions.length > 100) throw invalid('mentions', 'too many mentions');
    const mentions = req.mentions.map((m) => toNumber('mentions', m.userId));
    return this.deps.run.write(editMessage, { caller, msgId, text: req.text, mentions, editWindowMs: config.editWindowMs });
  }

  react(caller: Caller, req: ReactRequest): Promise<void> {
    return this.deps.run.write(reactToMessage, { caller, msgId: requireId('msg_id', req.msgId), emoji: requireEmoji('emoji', req.emoji), on: req.on });
  }

  hide(caller: Caller, req: HideRequest): Promise<void> {
    return this.deps.run.write(hideMessage, { caller, msgId: requireId('msg_id', req.msgId) });
  }

  markRead(caller: Caller, req: MarkReadRequest): Promise<void> {
    const conversation = checkRef(req.conversation);
    return this.deps.run.write(markRead, { caller, conversation, upToConvSeq: toNumber('up_to_conv_seq', req.upToConvSeq) });
  }

  /**
   * A device of `userId` holds the event `seq` (PUSH_ACK). Acks are
   * coalesced: one operation per turn of the event loop turns all of them
   * into at most one delivered receipt per conversation. Nothing is answered
   * to the client.
   */
  pushAcked(userId: number, seq: number): void {
    // 0 and values from 2^53 (read from a uint64 as an inexact number) name no event.
    if (!(seq > 0 && Number.isSafeInteger(seq))) return;
    this.acks.push({ userId, seq });
    if (this.acks.length > 1) return; // a flush is already queued
    setImmediate(() => {
      const acks = this.acks;
      this.acks = [];
      this.deps.run.write(recordPushAcks, acks).catch((err: unknown) => this.deps.logger.warn({ err }, 'push ack bookkeeping failed'));
    });
  }

  /** The user pulled messages with SYNC: record them as delivered (in the background; the SYNC answer does not wait). */
  pulled(userId: number, deliveries: Array<{ convId: number; convSeq: number; senderId: number }>): void {
    if (deliveries.length === 0) return;
    this.deps.run.write(recordPulled, { userId, deliveries }).catch((err: unknown) => this.deps.logger.warn({ err }, 'delivery receipts after sync failed'));
  }

  /** Typing notices go to the online devices of the peer or the other group members; nothing is stored. */
  async typing(caller: Caller, req: TypingRequest): Promise<void> {
    const ref = checkRef(req.conversation);
    const recipients = await this.deps.run.read(typingAudience, { caller, conversation: ref });
    // The peer sees a 1:1 notice under the sender's id.
    const conversation: ConversationRef = create(ConversationRefSchema, { type: ref.type, id: big(ref.type === ConversationType.GROUP ? ref.id : caller.userId) });
    this.deps.notifier.typing(recipients, create(TypingNoticeSchema, { conversation, userId: big(caller.userId), typing: req.typing }));
  }
}

const checkRef = requireConversationRef;
