/**
 * Strict payload decoding (shared/protocol/wire-check.ts): each kind of bad
 * encoding is refused with a message naming the field, each encoding protobuf
 * requires us to accept is accepted, and properties over every message of the
 * schema (random messages, then targeted and random damage) show the class is
 * closed: nothing throws, nothing is silently truncated.
 */
import { equals, fromBinary, toBinary, create, ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePayload,
  LoginRequestSchema,
  SendMessageRequestSchema,
  SyncDomain,
  SyncRequestSchema,
  ErrorDetailSchema,
  HandshakeRequestSchema,
  GroupSetRoleRequestSchema,
  ProfileUpdateRequestSchema,
} from '../../shared/protocol';
import { isValidUtf8 } from '../../shared/protocol/wire-check';
import { concatBytes } from './support/fuzz';
import { allSchemas, fieldSegments, lenField, messageArb, tag, varint, varintField, WIRE, wireOf } from './support/protowire';

const ascii = (s: string) => new TextEncoder().encode(s);

function rejected(schema: DescMessage, bytes: Uint8Array): string {
  const r = decodePayload(schema, bytes);
  if (r.ok) throw new Error(`accepted ${Buffer.from(bytes).toString('hex')} as ${JSON.stringify(r.value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return r.error;
}

function accepted<D extends DescMessage>(schema: D, bytes: Uint8Array) {
  const r = decodePayload(schema, bytes);
  if (!r.ok) throw new Error(`refused: ${r.error}`);
  return r.value;
}

describe('strict payload decoding: each refusal', () => {
  it('refuses a length prefix of 2^32 + 3 followed by "abc" (it used to be read as "abc")', () => {
    const bytes = lenField(3, ascii('abc'), 2n ** 32n + 3n);
    // The lenient decoder underneath really does read it as "abc": the check is what stops it.
    expect(fromBinary(SendMessageRequestSchema, bytes).text).toBe('abc');
    expect(rejected(SendMessageRequestSchema, bytes)).toMatch(/tern\.v1\.SendMessageRequest\.text: length 4294967299 exceeds the 3 bytes left/);
    for (const k of [1n, 2n, 255n, 2n ** 31n]) expect(rejected(SendMessageRequestSchema, lenField(3, ascii('abc'), k * 2n ** 32n + 3n))).toMatch(/length/);
  });

  it('refuses a length longer than what is left, and truncated fields of every wire type', () => {
    expect(rejected(SendMessageRequestSchema, lenField(3, ascii('abc'), 4n))).toMatch(/text: length 4 exceeds the 3 bytes left/);
    // 08 ac 02 | 10 32 | 1a 01 01: a cut at 3 or 5 ends between fields (valid); any other cut is inside one.
    const whole = toBinary(SyncRequestSchema, create(SyncRequestSchema, { cursor: 300n, limit: 50, domains: [SyncDomain.MESSAGES] }));
    expect(whole.length).toBe(8);
    for (let cut = 1; cut < whole.length; cut++) {
      expect(decodePayload(SyncRequestSchema, whole.subarray(0, cut)).ok, `cut at ${cut}`).toBe(cut === 3 || cut === 5);
    }
    expect(rejected(SyncRequestSchema, Uint8Array.of(0x08))).toMatch(/cursor: truncated varint/);
    expect(rejected(SyncRequestSchema, Uint8Array.of(0x08, 0x80))).toMatch(/truncated varint/);
    expect(rejected(SyncRequestSchema, Uint8Array.of(0x80))).toMatch(/tag: truncated varint/);
    // Unknown fields of fixed size, cut short.
    expect(rejected(SyncRequestSchema, concatBytes([tag(9, WIRE.I64), new Uint8Array(7)]))).toMatch(/#9: truncated/);
    expect(rejected(SyncRequestSchema, concatBytes([tag(9, WIRE.I32), new Uint8Array(3)]))).toMatch(/#9: truncated/);
  });

  it('refuses varints longer than 10 bytes or above 2^64 - 1', () => {
    const eleven = concatBytes([tag(1, WIRE.VARINT), Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)]);
    expect(rejected(SyncRequestSchema, eleven)).toMatch(/cursor: varint longer than 64 bits/);
    const overflow = concatBytes([tag(1, WIRE.VARINT), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02)]);
    expect(rejected(SyncRequestSchema, overflow)).toMatch(/varint longer than 64 bits/);
    const max = concatBytes([tag(1, WIRE.VARINT), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)]);
    expect(accepted(SyncRequestSchema, max).cursor).toBe(2n ** 64n - 1n);
    // A tag must fit in 32 bits.
    expect(rejected(SyncRequestSchema, varint(2n ** 35n))).toMatch(/tag above 2\^32/);
  });

  it('refuses field number 0 and the group and undefined wire types, known field or not', () => {
    expect(rejected(SyncRequestSchema, Uint8Array.of(0x00, 0x01))).toMatch(/field number 0/);
    for (const wire of [3, 4, 6, 7]) {
      expect(rejected(SyncRequestSchema, concatBytes([tag(1, wire), Uint8Array.of(0)]))).toMatch(new RegExp(`cursor: wire type ${wire} is not allowed`));
      expect(rejected(SyncRequestSchema, concatBytes([tag(12, wire), Uint8Array.of(0)]))).toMatch(new RegExp(`#12: wire type ${wire} is not allowed`));
    }
  });

  it('refuses a known field sent with another wire type', () => {
    expect(rejected(SendMessageRequestSchema, varintField(3, 5n))).toMatch(/text: wire type 0, expected 2/);
    expect(rejected(SendMessageRequestSchema, varintField(1, 5n))).toMatch(/to: wire type 0, expected 2 \(message\)/);
    expect(rejected(SyncRequestSchema, lenField(1, Uint8Array.of(1)))).toMatch(/cursor: wire type 2, expected 0/);
    expect(rejected(SyncRequestSchema, concatBytes([tag(2, WIRE.I32), new Uint8Array(4)]))).toMatch(/limit: wire type 5, expected 0/);
    expect(rejected(SyncRequestSchema, concatBytes([tag(2, WIRE.I64), new Uint8Array(8)]))).toMatch(/limit: wire type 1, expected 0/);
  });

  it('refuses 32-bit fields whose value does not fit, and bools other than 0 and 1', () => {
    expect(rejected(SyncRequestSchema, varintField(2, 2n ** 32n))).toMatch(/limit: value does not fit in 32 bits/);
    expect(rejected(HandshakeRequestSchema, varintField(1, 2n ** 32n + 1n))).toMatch(/protocol_version: value does not fit/);
    // Enums are int32: sign-extended negatives are fine, other 64-bit values are not.
    expect(accepted(GroupSetRoleRequestSchema, varintField(3, 2n ** 64n - 1n)).role).toBe(-1);
    expect(rejected(GroupSetRoleRequestSchema, varintField(3, 2n ** 31n))).toMatch(/role: value does not fit in a signed 32-bit integer/);
    expect(rejected(GroupSetRoleRequestSchema, varintField(3, 2n ** 40n))).toMatch(/role/);
    expect(rejected(SyncRequestSchema, lenField(3, concatBytes([varint(1n), varint(2n ** 33n)])))).toMatch(/domains: value does not fit/);
    expect(rejected(LoginRequestSchema, varintField(5, 2n))).toMatch(/kick_other_sessions: bool must be 0 or 1/);
    expect(accepted(LoginRequestSchema, varintField(5, 1n)).kickOtherSessions).toBe(true);
  });

  it('refuses invalid UTF-8 in a string field (and accepts it in unknown fields, which are only skipped)', () => {
    const bad = [
      [0xff], // never valid
      [0xc0, 0xaf], // overlong "/"
      [0xe0, 0x80, 0xaf], // overlong
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate (U+D800)
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xe4, 0xbd], // cut inside a character
      [0x80], // a lone continuation byte
      [0x61, 0xf0, 0x9f, 0x98], // emoji cut short
    ];
    for (const b of bad) {
      expect(rejected(SendMessageRequestSchema, lenField(3, Uint8Array.from(b)))).toMatch(/text: invalid UTF-8/);
      expect(rejected(LoginRequestSchema, lenField(2, Uint8Array.from(b)))).toMatch(/password: invalid UTF-8/);
      expect(rejected(ProfileUpdateRequestSchema, lenField(1, Uint8Array.from(b)))).toMatch(/nickname: invalid UTF-8/);
    }
    expect(accepted(SendMessageRequestSchema, lenField(3, ascii('你好 🐦 é'))).text).toBe('你好 🐦 é');
    expect(accepted(SendMessageRequestSchema, lenField(15, Uint8Array.of(0xff))).text).toBe('');
  });

  it('refuses damage inside a nested message, naming the nested field', () => {
    const nested = lenField(1, varintField(2, 2n ** 64n)); // ConversationRef.id: 11 bytes of varint inside `to`
    expect(rejected(SendMessageRequestSchema, concatBytes([nested]))).toMatch(/ConversationRef\.id/);
    expect(rejected(SendMessageRequestSchema, lenField(1, tag(2, WIRE.VARINT)))).toMatch(/ConversationRef\.id: truncated varint/);
    expect(rejected(SendMessageRequestSchema, lenField(1, lenField(2, Uint8Array.of(1))))).toMatch(/ConversationRef\.id: wire type 2, expected 0/);
  });
});

describe('strict payload decoding: what protobuf requires us to accept', () => {
  it('accepts padded varints (up to 10 bytes), fields in any order, unknown fields, and packed or unpacked repeated scalars', () => {
    const padded = concatBytes([tag(2, WIRE.VARINT), varint(50n, 10)]);
    expect(accepted(SyncRequestSchema, padded).limit).toBe(50);
    const lenPadded = concatBytes([tag(3, WIRE.LEN), varint(3n, 5), ascii('abc')]);
    expect(accepted(SendMessageRequestSchema, lenPadded).text).toBe('abc'); // 3 padded to 5 bytes is still 3
    const reordered = concatBytes([varintField(2, 7n), varintField(1, 9n)]);
    expect(accepted(SyncRequestSchema, reordered)).toMatchObject({ cursor: 9n, limit: 7 });
    const unknown = concatBytes([varintField(20, 1n), lenField(21, Uint8Array.of(0xff, 0)), tag(22, WIRE.I32), new Uint8Array(4), tag(23, WIRE.I64), new Uint8Array(8), varintField(2, 3n)]);
    expect(accepted(SyncRequestSchema, unknown).limit).toBe(3);
    const unpacked = concatBytes([varintField(3, 1n), varintField(3, 2n)]);
    const packed = lenField(3, concatBytes([varint(1n), varint(2n)]));
    expect(accepted(SyncRequestSchema, unpacked).domains).toEqual([1, 2]);
    expect(accepted(SyncRequestSchema, packed).domains).toEqual([1, 2]);
    expect(accepted(SyncRequestSchema, new Uint8Array()).cursor).toBe(0n);
  });

  it('lets the last of repeated singular fields win, merges a repeated message field, and switches oneofs', () => {
    expect(accepted(SyncRequestSchema, concatBytes([varintField(2, 5n), varintField(2, 9n)])).limit).toBe(9);
    expect(accepted(SendMessageRequestSchema, concatBytes([lenField(3, ascii('first')), lenField(3, ascii('second'))])).text).toBe('second');
    const merged = accepted(SendMessageRequestSchema, concatBytes([lenField(1, varintField(1, 1n)), lenField(1, varintField(2, 42n))]));
    expect(merged.to).toMatchObject({ type: 1, id: 42n });
    const login = accepted(LoginRequestSchema, concatBytes([lenField(2, ascii('pw')), lenField(3, ascii('tok'))]));
    expect(login.credential).toEqual({ case: 'deviceToken', value: 'tok' });
    expect(accepted(ErrorDetailSchema, concatBytes([varintField(4, 10n), varintField(4, 20n)])).retryAfterMs).toBe(20);
  });

  it('isValidUtf8 agrees with a fatal TextDecoder on random bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
        let ok = true;
        try {
          fatal.decode(bytes);
        } catch {
          ok = false;
        }
        expect(isValidUtf8(bytes, 0, bytes.length)).toBe(ok);
      }),
      { numRuns: 20_000 },
    );
  });
});

/** Properties over every message of the schema. */
describe('strict payload decoding: properties over every message', () => {
  const schemas = allSchemas();

  it('covers the whole schema', () => {
    expect(schemas.length).toBeGreaterThan(45);
  });

  for (const schema of schemas) {
    const short = schema.typeName.replace('tern.v1.', '');
    it(`${short}: round trip, padded tags, unknown fields; damage is refused, never thrown, never truncated`, () => {
      fc.assert(
        fc.property(messageArb(schema), fc.nat(), fc.nat(), (message, r1, r2) => {
          const bytes = toBinary(schema, message);
          const back = decodePayload(schema, bytes);
          expect(back.ok && equals(schema, back.value, message)).toBe(true);

          const segments = fieldSegments(schema, message);
          if (segments.length === 0) return;
          const pick = segments[r1 % segments.length]!;
          const others = segments.filter((s) => s !== pick).map((s) => s.bytes);
          const field: DescField = pick.field;

          // Its tag padded with redundant bytes changes nothing (the first occurrence's, for a repeated field).
          const firstTag = readVarint(pick.bytes, 0);
          const tagWire = Number(firstTag.value & 7n);
          const paddedTag = concatBytes([varint(firstTag.value, firstTag.size + 1 + (r2 % 3)), pick.bytes.subarray(firstTag.size)]);
          const p = decodePayload(schema, concatBytes([...others, paddedTag]));
          expect(p.ok && equals(schema, p.value, message)).toBe(true);

          // Unknown fields around it change nothing.
          const withUnknown = concatBytes([varintField(1000, BigInt(r2)), ...segments.map((s) => s.bytes), lenField(1001, Uint8Array.of(0xff))]);
          const u = decodePayload(schema, withUnknown);
          expect(u.ok && equals(schema, u.value, message)).toBe(true);

          // The field's first length prefix (a packed list's too) inflated by k * 2^32: refused (it used to be read modulo 2^32).
          if (tagWire === WIRE.LEN) {
            const t = firstTag.size;
            const len = readVarint(pick.bytes, t);
            const k = BigInt(1 + (r2 % 300));
            const lied = concatBytes([pick.bytes.subarray(0, t), varint(len.value + k * 2n ** 32n), pick.bytes.subarray(t + len.size)]);
            expect(decodePayload(schema, concatBytes([...others, lied])).ok).toBe(false);
          }

          // A string field holding invalid UTF-8: refused.
          if ((field.fieldKind === 'scalar' || field.fieldKind === 'list') && field.scalar === ScalarType.STRING) {
            const bad = [Uint8Array.of(0xff), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xe4, 0xbd)][r2 % 3]!;
            expect(decodePayload(schema, concatBytes([...others, lenField(field.number, concatBytes([ascii('ok'), bad]))])).ok).toBe(false);
          }

          // Sent with another wire type: refused.
          const wrongWire = [WIRE.VARINT, WIRE.I64, WIRE.LEN, WIRE.I32].filter((w) => w !== wireOf(field) && !(w === WIRE.LEN && isPackable(field)));
          const w = wrongWire[r2 % wrongWire.length]!;
          const body = w === WIRE.VARINT ? varint(1n) : w === WIRE.I64 ? new Uint8Array(8) : w === WIRE.I32 ? new Uint8Array(4) : varint(0n);
          expect(decodePayload(schema, concatBytes([...others, tag(field.number, w), body])).ok).toBe(false);

          // Cut inside a singular field: refused (any cut after its tag's first byte leaves it incomplete).
          if (field.fieldKind === 'list') return;
          const all = concatBytes([...others, pick.bytes]);
          const cut = all.length - 1 - (r2 % Math.min(pick.bytes.length, all.length));
          if (cut > all.length - pick.bytes.length) expect(decodePayload(schema, all.subarray(0, cut)).ok).toBe(false);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('random bytes and random damage to valid payloads never throw, and whatever is accepted re-encodes to itself', () => {
    const schemaArb = fc.constantFrom(...schemas);
    fc.assert(
      fc.property(
        schemaArb.chain((schema) => fc.tuple(fc.constant(schema), messageArb(schema))),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 40 }),
        ([schema, message], flips, cut, junk) => {
          const bytes = new Uint8Array(toBinary(schema, message));
          for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
          for (const input of [bytes, bytes.subarray(0, cut % (bytes.length + 1)), junk, concatBytes([bytes, junk])]) {
            const r = decodePayload(schema, input);
            if (!r.ok) {
              expect(r.error).toMatch(new RegExp(`^malformed ${schema.typeName.replace(/\./g, '\\.')}: `));
              continue;
            }
            const again = decodePayload(schema, toBinary(schema, r.value));
            expect(again.ok && equals(schema, again.value, r.value)).toBe(true);
          }
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

function isPackable(field: DescField): boolean {
  return field.fieldKind === 'list' && field.listKind !== 'message' && wireOf(field) !== WIRE.LEN;
}

function readVarint(bytes: Uint8Array, at: number): { value: bigint; size: number } {
  let value = 0n;
  let size = 0;
  for (;;) {
    const b = bytes[at + size]!;
    value |= BigInt(b & 0x7f) << BigInt(7 * size);
    size++;
    if ((b & 0x80) === 0) return { value, size };
  }
}
