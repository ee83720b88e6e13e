/**
 * Hand-written protobuf encoding of the one event every send pushes to each
 * participant: SyncEvent { seq, domain, message } for a text message. It
 * writes the exact bytes protobuf-es writes for renderMessage()'s Message
 * (fields in declaration order, proto3 defaults left out; proven by
 * tests/server/message-encoding.test.ts) without building the message
 * objects first, which on the SQLite thread cost more than the statements.
 *
 * Messages with structured parts (attachments, a group action) are not
 * handled here: `encodeTextMessage` returns undefined and the caller renders
 * them with protobuf-es.
 */
import { ConversationType } from '../../shared/protocol';
import { ConversationKind, type ConversationRow, type MessageRow } from '../storage/store';
import { parseMentions } from './render';

/** Bytes of `value` (a safe non-negative integer) as a varint. */
function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** A forward-only writer over a buffer sized in advance. */
class Writer {
  readonly bytes: Buffer;
  at = 0;

  constructor(size: number) {
    // A slice of Node's shared pool (no ArrayBuffer of its own per event): nothing posts these views
    // themselves to another thread; the SQLite worker copies them into the batch's one buffer
    // (worker-channel.ts, worker-protocol.ts packPayloads).
    this.bytes = Buffer.allocUnsafe(size);
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.bytes[this.at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.at++] = value;
  }

  /** A varint field: its tag, then its value; nothing for the proto3 default 0. */
  field(tag: number, value: number): void {
    if (value === 0) return;
    this.varint(tag);
    this.varint(value);
  }

  /** A string field of `byteLength` UTF-8 bytes; nothing for the empty string. */
  string(tag: number, text: string, byteLength: number): void {
    if (byteLength === 0) return;
    this.varint(tag);
    this.varint(byteLength);
    this.utf8(text, byteLength);
  }

  /** Writes `text` as UTF-8 (its byte length is known to the caller). */
  utf8(text: string, byteLength: number): void {
    this.bytes.write(text, this.at, byteLength, 'utf8');
    this.at += byteLength;
  }
}

/** Size of a varint field (tag + value), 0 when the value is the proto3 default. */
const varintField = (tagSize: number, value: number): number => (value === 0 ? 0 : tagSize + varintSize(value));
/** Size of a length-delimited field with `length` bytes of content. */
const lengthField = (length: number): number => 1 + varintSize(length) + length;

/**
 * SyncEvent { seq, domain, message } for `viewerId`, byte-identical to
 * toBinary(SyncEventSchema, { seq, domain, event: { case: 'message', value:
 * renderMessage(row, conv, viewerId) } }); undefined for a message with
 * structured parts.
 */
export function encodeTextMessageEvent(seq: number, domain: number, row: MessageRow, conv: ConversationRow, viewerId: number): Uint8Array | undefined {
  if (row.attachments) return undefined;
  // ConversationRef, from the viewer's side (conversationRefFor).
  const group = conv.kind === ConversationKind.GROUP;
  const refType = group ? ConversationType.GROUP : ConversationType.DIRECT;
  const refId = (group ? conv.group_id : conv.user_lo === viewerId ? conv.user_hi : conv.user_lo) ?? 0;
  const refSize = varintField(1, refType) + varintField(1, refId);
  const mentions = parseMentions(row.mentions);
  let mentionsSize = 0;
  for (const userId of mentions) mentionsSize += lengthField(varintField(1, userId));
  const clientIdBytes = Buffer.byteLength(row.client_msg_id, 'utf8');
  const textBytes = Buffer.byteLength(row.text, 'utf8');
  const recalled = row.recalled_by !== 0;
  const editedAt = recalled ? 0 : (row.edited_at ?? 0);
  const messageSize =
    varintField(1, row.id) +
    lengthField(refSize) +
    varintField(1, row.conv_seq) +
    varintField(1, row.sender_id) +
    (clientIdBytes === 0 ? 0 : lengthField(clientIdBytes)) +
    varintField(1, row.sent_at) +
    (textBytes === 0 ? 0 : lengthField(textBytes)) +
    mentionsSize +
    varintField(1, row.reply_to) +
    (recalled ? 2 : 0) +
    varintField(2, editedAt);
  const w = new Writer(varintField(1, seq) + varintField(1, domain) + lengthField(messageSize));
  // SyncEvent: seq = 1, domain = 2, message = 10.
  w.field(0x08, seq);
  w.field(0x10, domain);
  w.varint(0x52);
  w.varint(messageSize);
  // Message, in declaration order.
  w.field(0x08, row.id);
  w.varint(0x12);
  w.varint(refSize);
  w.field(0x08, refType);
  w.field(0x10, refId);
  w.field(0x18, row.conv_seq);
  w.field(0x20, row.sender_id);
  w.string(0x2a, row.client_msg_id, clientIdBytes);
  w.field(0x30, row.sent_at);
  w.string(0x3a, row.text, textBytes);
  for (const userId of mentions) {
    w.varint(0x42);
    w.varint(varintField(1, userId));
    w.field(0x08, userId);
  }
  w.field(0x48, row.reply_to);
  w.field(0x50, recalled ? 1 : 0);
  // edited_at = 30: tag 240, a two-byte varint.
  w.field(240, editedAt);
  return w.bytes;
}

/** A send's answer as the operation returns it: SendMessageAck's fields, without protobuf-es's object. */
export interface SendAck {
  msgId: bigint;
  convSeq: bigint;
  sentAt: bigint;
  userSeq: bigint;
  duplicate: boolean;
}

/**
 * SendMessageAck, byte-identical to toBinary(SendMessageAckSchema, create(SendMessageAckSchema, ack)) (proven by
 * tests/server/message-encoding.test.ts): four uint64 varints and a bool, proto3 defaults left out.
 */
export function encodeSendMessageAck(ack: SendAck): Uint8Array {
  const msgId = Number(ack.msgId);
  const convSeq = Number(ack.convSeq);
  const sentAt = Number(ack.sentAt);
  const userSeq = Number(ack.userSeq);
  const w = new Writer(varintField(1, msgId) + varintField(1, convSeq) + varintField(1, sentAt) + varintField(1, userSeq) + (ack.duplicate ? 2 : 0));
  w.field(0x08, msgId);
  w.field(0x10, convSeq);
  w.field(0x18, sentAt);
  w.field(0x20, userSeq);
  if (ack.duplicate) w.field(0x28, 1);
  return w.bytes;
}
