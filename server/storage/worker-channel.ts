/**
 * The binary lane between the event loop and the SQLite worker for the hot
 * operations (a text send, PUSH_ACK bookkeeping): per turn, one buffer each
 * way, transferred, not cloned. `postMessage` would otherwise run V8's
 * structured clone over every job's argument object and every result (the
 * ack with its bigints, the pushes), allocating on both threads.
 *
 * A stream is a sequence of entries, each starting with a one-byte tag:
 * tag 0 stands for the next job (or result) of the message's structured
 * list, so the order of everything submitted in one turn is kept (the
 * worker runs them in that order); any other tag is a hot operation's code,
 * followed by its job id and its encoding (`HotCodec`). Numbers are float64
 * (ids, sequences and times are safe integers), strings UTF-8 with a uint32
 * byte length.
 *
 * A result's pushes travel in the same buffer and come out as views of it
 * (no copy); a send's ack comes with its protobuf encoding
 * (`encodeSendMessageAck`, under ENCODED_PAYLOAD), so the event loop answers
 * without encoding it again.
 */
import { ENCODED_PAYLOAD } from '../../shared/protocol';
import type { PendingPush } from '../operations/events';
import { encodeSendMessageAck, type SendAck } from '../operations/message-encoding';
import type { SendArgs } from '../operations/messages';
import type { Written } from '../operations/operation';

/** A growable little-endian writer; `take()` hands over the bytes written (their own ArrayBuffer, to transfer). */
export class ByteWriter {
  private bytes: Buffer;
  private view: DataView;
  at = 0;

  constructor(size = 4096) {
    this.bytes = Buffer.allocUnsafeSlow(size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.at + n));
    this.bytes.copy(bigger, 0, 0, this.at);
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }

  u8(value: number): void {
    this.room(1);
    this.bytes[this.at++] = value;
  }

  u32(value: number): void {
    this.room(4);
    this.view.setUint32(this.at, value, true);
    this.at += 4;
  }

  f64(value: number): void {
    this.room(8);
    this.view.setFloat64(this.at, value, true);
    this.at += 8;
  }

  string(text: string): void {
    const max = text.length * 3;
    this.room(4 + max);
    const length = this.bytes.write(text, this.at + 4, max, 'utf8');
    this.view.setUint32(this.at, length, true);
    this.at += 4 + length;
  }

  raw(bytes: Uint8Array): void {
    this.u32(bytes.length);
    this.room(bytes.length);
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
  }

  get length(): number {
    return this.at;
  }

  /** The bytes written, in a buffer of their own (transferable); the writer starts over. */
  take(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.at);
    out.set(this.bytes.subarray(0, this.at));
    this.at = 0;
    return out;
  }
}

export class ByteReader {
  private readonly view: DataView;
  private readonly buffer: Buffer;
  at = 0;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  u8(): number {
    return this.bytes[this.at++]!;
  }

  u32(): number {
    const value = this.view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }

  f64(): number {
    const value = this.view.getFloat64(this.at, true);
    this.at += 8;
    return value;
  }

  string(): string {
    const length = this.u32();
    const text = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }

  /** A view of the next length-prefixed bytes (no copy). */
  raw(): Uint8Array {
    const length = this.u32();
    const view = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return view;
  }
}

/**
 * How one hot operation crosses: its arguments (event loop -> worker) and its
 * result value (worker -> event loop; the pushes are written by the channel).
 * `writeArgs` may decline (return false) for arguments it does not carry;
 * that job then goes the structured way.
 */
export interface HotCodec<A, V> {
  readonly code: number;
  readonly name: string;
  writeArgs(w: ByteWriter, args: A): boolean;
  readArgs(r: ByteReader): A;
  writeValue(w: ByteWriter, value: V): void;
  readValue(r: ByteReader): V;
}

/** The tag of an entry that stands for the next item of the structured list. */
export const STRUCTURED = 0;

/** A text send (no attachments: those carry bytes and digests checked by the service; they go structured). */
const send: HotCodec<SendArgs, SendAck> = {
  code: 1,
  name: 'messages.send',
  writeArgs(w, a) {
    if (a.attachments !== null || a.digests.length > 0) return false;
    w.f64(a.caller.userId);
    w.f64(a.caller.sessionId);
    w.u8(a.to.type);
    w.f64(a.to.id);
    w.string(a.clientMsgId);
    w.string(a.text);
    w.f64(a.replyTo);
    w.u32(a.mentions.length);
    for (const m of a.mentions) w.f64(m);
    return true;
  },
  readArgs(r) {
    const caller = { userId: r.f64(), sessionId: r.f64() };
    const to = { type: r.u8(), id: r.f64() };
    const clientMsgId = r.string();
    const text = r.string();
    const replyTo = r.f64();
    const mentions: number[] = [];
    for (let n = r.u32(); n > 0; n--) mentions.push(r.f64());
    return { caller, to, clientMsgId, text, replyTo, mentions, attachments: null, digests: [] };
  },
  writeValue(w, ack) {
    w.raw(encodeSendMessageAck(ack));
  },
  readValue(r) {
    const encoded = r.raw();
    return decodeSendMessageAck(encoded);
  },
};

/** PUSH_ACKs (recordPushAcks): pairs of user id and sequence; no value back. */
const pushAcks: HotCodec<Array<{ userId: number; seq: number }>, void> = {
  code: 2,
  name: 'messages.recordPushAcks',
  writeArgs(w, acks) {
    w.u32(acks.length);
    for (const a of acks) {
      w.f64(a.userId);
      w.f64(a.seq);
    }
    return true;
  },
  readArgs(r) {
    const acks: Array<{ userId: number; seq: number }> = [];
    for (let n = r.u32(); n > 0; n--) acks.push({ userId: r.f64(), seq: r.f64() });
    return acks;
  },
  writeValue() {},
  readValue() {},
};

const codecs = [send, pushAcks] as Array<HotCodec<unknown, unknown>>;
const byName = new Map(codecs.map((c) => [c.name, c]));
const byCode = new Map(codecs.map((c) => [c.code, c]));

export function hotCodecFor(name: string): HotCodec<unknown, unknown> | undefined {
  return byName.get(name);
}

export function hotCodecOf(code: number): HotCodec<unknown, unknown> {
  const codec = byCode.get(code);
  if (!codec) throw new Error(`unknown hot operation code ${code} in the worker channel`);
  return codec;
}

/** The event loop's side of a job: appends it to the stream if it goes binary (true), else the caller lists it. */
export function writeJob(w: ByteWriter, name: string, id: number, now: number, args: unknown): boolean {
  const codec = byName.get(name);
  if (!codec) return false;
  const start = w.at;
  w.u8(codec.code);
  w.f64(id);
  w.f64(now);
  if (codec.writeArgs(w, args)) return true;
  w.at = start;
  return false;
}

/** A write's result (value and pushes) in the stream. */
export function writeResult(w: ByteWriter, codec: HotCodec<unknown, unknown>, id: number, result: Written<unknown>): void {
  w.u8(codec.code);
  w.f64(id);
  codec.writeValue(w, result.value);
  w.u32(result.pushes.length);
  for (const p of result.pushes) {
    w.f64(p.userId);
    w.f64(p.seq);
    w.f64(p.skipSession ?? -1);
    w.raw(p.payload);
  }
}

export function readResult(r: ByteReader, codec: HotCodec<unknown, unknown>): Written<unknown> {
  const value = codec.readValue(r);
  const pushes: PendingPush[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const userId = r.f64();
    const seq = r.f64();
    const skip = r.f64();
    const payload = r.raw();
    pushes.push(skip === -1 ? { userId, seq, payload } : { userId, seq, payload, skipSession: skip });
  }
  return { value, pushes };
}

/** Where the last `readVarint` stopped (module state, so no closure or pair per call: decoding never nests). */
let varintEnd = 0;

function readVarint(bytes: Uint8Array, at: number): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      varintEnd = at;
      return value;
    }
    scale *= 128;
  }
}

/** The ack as the handler sees it, with its encoding for the answer. */
function decodeSendMessageAck(encoded: Uint8Array): SendAck {
  const ack: SendAck = { msgId: 0n, convSeq: 0n, sentAt: 0n, userSeq: 0n, duplicate: false };
  let at = 0;
  while (at < encoded.length) {
    const tag = readVarint(encoded, at);
    const value = readVarint(encoded, varintEnd);
    at = varintEnd;
    if (tag === 0x08) ack.msgId = BigInt(value);
    else if (tag === 0x10) ack.convSeq = BigInt(value);
    else if (tag === 0x18) ack.sentAt = BigInt(value);
    else if (tag === 0x20) ack.userSeq = BigInt(value);
    else if (tag === 0x28) ack.duplicate = value !== 0;
  }
  Object.defineProperty(ack, ENCODED_PAYLOAD, { value: encoded, enumerable: false });
  return ack;
}
