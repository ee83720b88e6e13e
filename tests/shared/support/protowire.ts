/**
 * Hand-built protobuf wire bytes and fast-check arbitraries for every payload
 * message, for the strict-decoding tests. The arbitraries are derived from the
 * schema by reflection, so a message added to messages.proto is covered
 * without touching the tests.
 */
import { create, toBinary, ScalarType, type DescField, type DescMessage, type DescOneof, type MessageShape } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { file_tern_v1_messages } from '../../../shared/protocol';
import { concatBytes } from './fuzz';

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** A varint of `value` (as a bigint: values of 2^32 and more are the point), padded to `minBytes` with 0x80 continuation bytes. */
export function varint(value: bigint, minBytes = 1): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    out.push(Number(v & 0x7fn));
    v >>= 7n;
  } while (v > 0n);
  while (out.length < minBytes) out.push(0);
  return Uint8Array.from(out.map((b, i) => (i < out.length - 1 ? b | 0x80 : b)));
}

export function tag(fieldNo: number, wire: number): Uint8Array {
  return varint(BigInt(fieldNo) * 8n + BigInt(wire));
}

/** A length-delimited field: tag, length prefix (possibly lying), content. */
export function lenField(fieldNo: number, content: Uint8Array, length: bigint = BigInt(content.length)): Uint8Array {
  return concatBytes([tag(fieldNo, WIRE.LEN), varint(length), content]);
}

export function varintField(fieldNo: number, value: bigint): Uint8Array {
  return concatBytes([tag(fieldNo, WIRE.VARINT), varint(value)]);
}

/** Every message of the protocol (top level and nested), so each gets the properties below. */
export function allSchemas(): DescMessage[] {
  const out: DescMessage[] = [];
  const visit = (m: DescMessage) => {
    out.push(m);
    m.nestedMessages.forEach(visit);
  };
  file_tern_v1_messages.messages.forEach(visit);
  return out;
}

/** The wire type a field's values use (LEN for messages, strings, bytes). */
export function wireOf(field: DescField): number {
  if (field.fieldKind === 'message' || (field.fieldKind === 'list' && field.listKind === 'message')) return WIRE.LEN;
  if (field.fieldKind === 'enum' || (field.fieldKind === 'list' && field.listKind === 'enum')) return WIRE.VARINT;
  if (field.fieldKind !== 'scalar' && field.fieldKind !== 'list') throw new Error(`unsupported field ${field.name}`);
  switch (field.scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WIRE.I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WIRE.I32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WIRE.LEN;
    default:
      return WIRE.VARINT;
  }
}

function scalarArb(type: ScalarType): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      // Whole code points, CJK and emoji included (no lone surrogates: those are not strings protobuf can carry).
      return fc.string({ unit: 'binary', maxLength: 12 });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 12 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
      return fc.integer();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.double({ noNaN: true }).map((d) => (type === ScalarType.FLOAT ? Math.fround(d) : d));
  }
}

function valueArb(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case 'scalar':
      return scalarArb(field.scalar);
    case 'enum':
      // Open enums: values the schema does not name are valid too.
      return fc.oneof(fc.constantFrom(...field.enum.values.map((v) => v.number)), fc.integer({ min: -5, max: 50 }));
    case 'message':
      return messageInitArb(field.message, depth + 1);
    case 'list': {
      const element =
        field.listKind === 'message'
          ? messageInitArb(field.message, depth + 1)
          : field.listKind === 'enum'
            ? fc.constantFrom(...field.enum.values.map((v) => v.number))
            : scalarArb(field.scalar);
      return fc.array(element, { maxLength: 3 });
    }
    case 'map':
      throw new Error(`map field ${field.name} not supported`);
  }
}

/** An init object for `schema` with a random subset of its fields set. */
export function messageInitArb(schema: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 4) return fc.constant({});
  const plain = schema.fields.filter((f) => !f.oneof);
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of plain) parts[f.localName] = fc.option(valueArb(f, depth), { nil: undefined });
  for (const o of schema.oneofs) parts[o.localName] = oneofArb(o, depth);
  return fc.record(parts).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

function oneofArb(oneof: DescOneof, depth: number): fc.Arbitrary<unknown> {
  return fc.option(fc.oneof(...oneof.fields.map((f) => valueArb(f, depth).map((value) => ({ case: f.localName, value })))), { nil: undefined });
}

export function messageArb(schema: DescMessage): fc.Arbitrary<MessageShape<DescMessage>> {
  return messageInitArb(schema).map((init) => create(schema, init as never));
}

/** The message encoded one field at a time: the concatenation is a valid encoding, and the boundaries are known. */
export function fieldSegments(schema: DescMessage, message: MessageShape<DescMessage>): { field: DescField; bytes: Uint8Array }[] {
  const segments: { field: DescField; bytes: Uint8Array }[] = [];
  const record = message as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    const value = field.oneof ? record[field.oneof.localName] : record[field.localName];
    let init: Record<string, unknown>;
    if (field.oneof) {
      const o = value as { case?: string };
      if (o.case !== field.localName) continue;
      init = { [field.oneof.localName]: value };
    } else init = { [field.localName]: value };
    const bytes = toBinary(schema, create(schema, init as never));
    if (bytes.length > 0) segments.push({ field, bytes });
  }
  return segments;
}
