/**
 * Hand-written decoders for the two requests every delivered message costs
 * the server (SendMessageRequest, PushAck). The generic path (wire-check.ts,
 * then protobuf-es's reflection) walks each payload twice, builds a reader
 * object and decodes each string after checking it in JavaScript; these walk
 * once and let the native, strict UTF-8 decoder check and decode each string
 * in one call.
 *
 * They take only the plain shape (the fields of the message, each with its
 * own wire type, one-byte tags, varints of at most 8 bytes, values below
 * 2^53, no attachments, no unknown fields) and return undefined for anything
 * else, which then goes the generic way: its checks stay the one authority
 * on what is refused and with which error. Whatever they accept, they decode
 * to exactly what protobuf-es gives (same fields, same order, bigints where it
 * has bigints): tests/shared/hot-decode.test.ts checks both on random and on
 * mutated payloads.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { PushAckSchema, SendMessageRequestSchema, type ConversationRef, type Mention, type PushAck, type SendMessageRequest } from '../gen/tern/v1/messages_pb';

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
type TextDecoderClass = new (label: string, options: { fatal: boolean; ignoreBOM: boolean }) => Utf8Decoder;

/** Throws on invalid UTF-8 (RFC 3629, as wire-check's isValidUtf8); a leading U+FEFF is text, as protobuf-es reads it. */
let strictUtf8: Utf8Decoder | undefined;

/** What the field readers hand back: the position after what they read, or FAIL (not the plain shape). */
const FAIL = -1;

/** The value of the last varint read (module state: decoding is synchronous and never re-entered). */
let value = 0;

/** Reads a varint of at most 8 bytes (so below 2^56) at `pos`; FAIL if longer, truncated or not below 2^53. */
function varint(buf: Uint8Array, pos: number, end: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (pos >= end) return FAIL;
    const b = buf[pos++]!;
    v += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (v > Number.MAX_SAFE_INTEGER) return FAIL;
      value = v;
      return pos;
    }
    scale *= 128;
  }
  return FAIL;
}

/** A length prefix that fits in what is left: sets `value` to the length. */
function length(buf: Uint8Array, pos: number, end: number): number {
  pos = varint(buf, pos, end);
  return pos === FAIL || value > end - pos ? FAIL : pos;
}

/** The string of `[pos, end)`, or undefined when it is not valid UTF-8. */
function utf8(buf: Uint8Array, pos: number, end: number): string | undefined {
  if (pos === end) return '';
  strictUtf8 ??= new (globalThis as unknown as { TextDecoder: TextDecoderClass }).TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    // A plain view, not `subarray`: on a Node Buffer (what the transport hands over) that builds a Buffer through
    // its species constructor, measurably dearer than the decode's own work for a short string.
    return strictUtf8.decode(new Uint8Array(buf.buffer, buf.byteOffset + pos, end - pos));
  } catch {
    return undefined;
  }
}

/** ConversationRef { type = 1 (enum, non-negative here), id = 2 (uint64) } in `[pos, end)`. */
function conversationRef(buf: Uint8Array, pos: number, end: number): ConversationRef | undefined {
  let type = 0;
  let id = 0;
  while (pos < end) {
    const tag = buf[pos++];
    if (tag === 0x08) {
      pos = varint(buf, pos, end);
      // A negative enum arrives sign-extended (10 bytes) and fails above; above 2^31 is not an int32.
      if (pos === FAIL || value > 0x7fffffff) return undefined;
      type = value;
    } else if (tag === 0x10) {
      pos = varint(buf, pos, end);
      if (pos === FAIL) return undefined;
      id = value;
    } else return undefined;
  }
  return { $typeName: 'tern.v1.ConversationRef', type, id: BigInt(id) };
}

/** A message whose only field is uint64 field 1 (Mention.user_id, PushAck.seq) in `[pos, end)`: its value, or FAIL. */
function onlyUint64(buf: Uint8Array, pos: number, end: number): number {
  let v = 0;
  while (pos < end) {
    if (buf[pos++] !== 0x08) return FAIL;
    pos = varint(buf, pos, end);
    if (pos === FAIL) return FAIL;
    v = value;
  }
  return v;
}

/** SendMessageRequest without attachments; undefined for anything the generic path must judge. */
export function decodeSendMessageRequest(buf: Uint8Array): SendMessageRequest | undefined {
  const end = buf.length;
  let to: ConversationRef | undefined;
  let clientMsgId = '';
  let text = '';
  const mentions: Mention[] = [];
  let replyTo = 0;
  let pos = 0;
  while (pos < end) {
    const tag = buf[pos++];
    if (tag === 0x28) {
      pos = varint(buf, pos, end);
      if (pos === FAIL) return undefined;
      replyTo = value;
      continue;
    }
    if (tag !== 0x0a && tag !== 0x12 && tag !== 0x1a && tag !== 0x22) return undefined;
    pos = length(buf, pos, end);
    if (pos === FAIL) return undefined;
    const stop = pos + value;
    if (tag === 0x0a) {
      // A second `to` would be merged into the first: rare enough to leave to protobuf-es.
      if (to !== undefined) return undefined;
      to = conversationRef(buf, pos, stop);
      if (to === undefined) return undefined;
    } else if (tag === 0x22) {
      const userId = onlyUint64(buf, pos, stop);
      if (userId === FAIL) return undefined;
      mentions.push({ $typeName: 'tern.v1.Mention', userId: BigInt(userId) });
    } else {
      const s = utf8(buf, pos, stop);
      if (s === undefined) return undefined;
      if (tag === 0x12) clientMsgId = s;
      else text = s;
    }
    pos = stop;
  }
  // Field order as protobuf-es creates the message (`to` only when present), so both have one shape.
  const request: SendMessageRequest = { $typeName: 'tern.v1.SendMessageRequest', clientMsgId, text, mentions, replyToMsgId: BigInt(replyTo), attachments: [] };
  if (to !== undefined) request.to = to;
  return request;
}

/**
 * PushAck's seq as a number (the server keeps sequences as numbers), or -1
 * when the payload is not the plain shape: the caller then decodes it the
 * generic way. No object at all for the commonest frame a server receives.
 */
export function pushAckSeq(buf: Uint8Array): number {
  return onlyUint64(buf, 0, buf.length);
}

/** PushAck { seq = 1 (uint64) }. */
export function decodePushAck(buf: Uint8Array): PushAck | undefined {
  const seq = pushAckSeq(buf);
  return seq === FAIL ? undefined : { $typeName: 'tern.v1.PushAck', seq: BigInt(seq) };
}

/** The hand-written decoder of a schema, if it has one (decodePayload tries it first). */
export const hotDecoders: ReadonlyMap<DescMessage, (bytes: Uint8Array) => unknown> = new Map<DescMessage, (bytes: Uint8Array) => unknown>([
  [SendMessageRequestSchema, decodeSendMessageRequest],
  [PushAckSchema, decodePushAck],
]);
