/**
 * The hand-written decoders of the hot requests (shared/protocol/hot-decode.ts)
 * against the generic path they shortcut (the strict wire check, then
 * protobuf-es): whatever they accept decodes to exactly what protobuf-es
 * gives, on random messages and on damaged, spliced and random bytes; what
 * they leave alone still gets the generic path's answer, errors included.
 */
import { create, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConversationRefSchema, ConversationType, decodePayload, PushAckSchema, SendMessageRequestSchema, type SendMessageRequest } from '../../shared/protocol';
import { decodePushAck, decodeSendMessageRequest } from '../../shared/protocol/hot-decode';
import { checkWire } from '../../shared/protocol/wire-check';
import { concatBytes } from './support/fuzz';
import { lenField, messageArb, varint, varintField } from './support/protowire';

/** The generic path: the strict check, then protobuf-es (what decodePayload did before the hand-written decoders). */
function generic(schema: DescMessage, bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    checkWire(schema, bytes);
    return { ok: true, value: fromBinary(schema, bytes, { readUnknownFields: false }) };
  } catch {
    return { ok: false };
  }
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Ids and sequences around the varint length steps, up to the largest safe integer and beyond it. */
const id = fc.oneof(
  fc.constantFrom(0n, 1n, 127n, 128n, 16_383n, 16_384n, 2n ** 31n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
);
const text = fc.oneof(fc.constant(''), fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('\ufeffbom', '敏捷的棕色狐狸', '👍🏽 ok', 'x'.repeat(300)));

/** Requests as clients send them (the conversation, a UUIDv7-like id, text, sometimes mentions and a reply). */
const sendArb = fc
  .record({
    to: fc.option(fc.record({ type: fc.constantFrom(ConversationType.DIRECT, ConversationType.GROUP, 0, 9, 2 ** 31 - 1), id }), { nil: undefined }),
    clientMsgId: fc.oneof(fc.uuid(), text),
    text,
    mentions: fc.array(fc.record({ userId: id }), { maxLength: 4 }),
    replyToMsgId: id,
  })
  .map((init) => create(SendMessageRequestSchema, init));

/** Damage of every kind: bit flips, cuts, inserted, deleted and overwritten bytes, and whole fields spliced in. */
function damage(bytes: Uint8Array, cuts: number[], extra: Uint8Array): Uint8Array {
  const out = Array.from(bytes);
  for (const c of cuts) {
    const at = out.length === 0 ? 0 : c % out.length;
    switch (c % 5) {
      case 0:
        if (out.length > 0) out[at] = out[at]! ^ (1 << (c % 8));
        break;
      case 1:
        out.length = at;
        break;
      case 2:
        out.splice(at, 0, ...extra);
        break;
      case 3:
        out.splice(at, 1);
        break;
      case 4:
        if (out.length > 0) out[at] = extra[0] ?? 0xff;
        break;
    }
  }
  return Uint8Array.from(out);
}

/** Bytes that look like fields of these messages (valid, or nearly), for splicing. */
const fieldBytes = fc.oneof(
  fc.uint8Array({ maxLength: 6 }),
  id.map((v) => varintField(5, v)),
  id.map((v) => varintField(1, v)),
  fc.constantFrom(
    lenField(1, varintField(1, 2n ** 31n)),
    lenField(1, concatBytes([varintField(1, 1n), varintField(2, 7n)])),
    lenField(1, varintField(1, 2n)),
    lenField(1, varintField(2, 9n)),
    lenField(4, varintField(1, 3n)),
    lenField(4, varintField(2, 3n)),
    lenField(6, new Uint8Array(0)),
    lenField(3, Uint8Array.of(0xed, 0xa0, 0x80)),
    lenField(2, Uint8Array.of(0xc0, 0xaf)),
    lenField(3, Uint8Array.of(0xf4, 0x90, 0x80, 0x80)),
    concatBytes([varint(0x1an, 2), varint(1n), utf8('x')]),
    varintField(1000, 1n),
  ),
);

function expectSameAsGeneric(schema: DescMessage, hot: unknown, bytes: Uint8Array): void {
  const reference = generic(schema, bytes);
  if (hot !== undefined) {
    expect(reference.ok, Buffer.from(bytes).toString('hex')).toBe(true);
    expect(hot).toStrictEqual((reference as { value: unknown }).value);
  }
  // decodePayload (hot decoder first, then the generic path) answers as the generic path alone.
  const answer = decodePayload(schema, bytes);
  expect(answer.ok).toBe(reference.ok);
  if (answer.ok) expect(answer.value).toStrictEqual((reference as { value: unknown }).value);
}

describe('decodeSendMessageRequest', () => {
  it('decodes every plain request exactly as protobuf-es does', () => {
    fc.assert(
      fc.property(sendArb, (message) => {
        const bytes = toBinary(SendMessageRequestSchema, message);
        const hot = decodeSendMessageRequest(bytes);
        const plain = [message.to?.id ?? 0n, message.replyToMsgId, ...message.mentions.map((m) => m.userId)].every((v) => v < 2n ** 53n);
        // It takes every plain request (values below 2^53), and leaves the rest to the generic path.
        expect(hot !== undefined).toBe(plain);
        expectSameAsGeneric(SendMessageRequestSchema, hot, bytes);
        // As the transport hands it over: a view into a larger Node Buffer (a record's plaintext), not at offset 0.
        const record = Buffer.alloc(bytes.length + 7, 0xff);
        record.set(bytes, 3);
        expect(decodeSendMessageRequest(record.subarray(3, 3 + bytes.length))).toStrictEqual(hot);
      }),
      { numRuns: 5000 },
    );
  });

  it('any request of the schema (attachments too): same answer as the generic path', () => {
    fc.assert(
      fc.property(messageArb(SendMessageRequestSchema), (message) => {
        const bytes = toBinary(SendMessageRequestSchema, message as SendMessageRequest);
        expectSameAsGeneric(SendMessageRequestSchema, decodeSendMessageRequest(bytes), bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('damaged, spliced and random bytes: what it accepts, protobuf-es reads the same; the rest is judged by the generic path', () => {
    fc.assert(
      fc.property(sendArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fieldBytes, (message, cuts, extra) => {
        const bytes = damage(toBinary(SendMessageRequestSchema, message), cuts, extra);
        expectSameAsGeneric(SendMessageRequestSchema, decodeSendMessageRequest(bytes), bytes);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => expectSameAsGeneric(SendMessageRequestSchema, decodeSendMessageRequest(bytes), bytes)),
      { numRuns: 20_000 },
    );
  });

  it('invalid UTF-8 in the text or the client id is refused with the field named, as before', () => {
    for (const bad of [Uint8Array.of(0xff), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xc0, 0xaf), Uint8Array.of(0xe4, 0xbd), Uint8Array.of(0xf4, 0x90, 0x80, 0x80)]) {
      for (const [field, name] of [
        [3, 'text'],
        [2, 'client_msg_id'],
      ] as const) {
        const bytes = concatBytes([lenField(2, utf8('0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b')), lenField(field, concatBytes([utf8('ok '), bad]))]);
        expect(decodeSendMessageRequest(bytes)).toBeUndefined();
        const answer = decodePayload(SendMessageRequestSchema, bytes);
        expect(answer.ok).toBe(false);
        expect(!answer.ok && answer.error).toBe(`malformed tern.v1.SendMessageRequest: tern.v1.SendMessageRequest.${name}: invalid UTF-8`);
      }
    }
  });

  it('a second `to` is merged into the first, as protobuf-es does', () => {
    const bytes = concatBytes([lenField(1, concatBytes([varintField(1, 1n), varintField(2, 7n)])), lenField(1, varintField(1, 2n))]);
    const answer = decodePayload(SendMessageRequestSchema, bytes);
    expect(answer.ok && answer.value.to).toStrictEqual(create(ConversationRefSchema, { type: ConversationType.GROUP, id: 7n }));
  });

  it('keeps a leading U+FEFF as text, as protobuf-es does', () => {
    expect(decodeSendMessageRequest(lenField(3, utf8('\ufeffhi')))?.text).toBe('\ufeffhi');
  });
});

describe('decodePushAck', () => {
  it('decodes every PushAck as protobuf-es does; damaged and random bytes get the generic answer', () => {
    fc.assert(
      fc.property(id, fc.array(fc.nat(), { maxLength: 3 }), fieldBytes, (seq, cuts, extra) => {
        const whole = toBinary(PushAckSchema, create(PushAckSchema, { seq }));
        const hot = decodePushAck(whole);
        expect(hot !== undefined).toBe(seq < 2n ** 53n);
        expectSameAsGeneric(PushAckSchema, hot, whole);
        const bytes = damage(whole, cuts, extra);
        expectSameAsGeneric(PushAckSchema, decodePushAck(bytes), bytes);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => expectSameAsGeneric(PushAckSchema, decodePushAck(bytes), bytes)),
      { numRuns: 20_000 },
    );
  });
});
