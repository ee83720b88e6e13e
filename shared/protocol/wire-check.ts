/**
 * Strict check of a protobuf payload against its schema, run before
 * protobuf-es decodes it. protobuf-es is lenient where a protocol server must
 * not be: it reads length prefixes and 32-bit fields as 32-bit varints, so a
 * length of 2^32 + 3 silently becomes 3; it reads a field with whatever wire
 * type arrives; it skips group wire types. Every such input is refused here
 * with a message naming the field, and the caller answers MALFORMED_PAYLOAD.
 *
 * Refused: a truncated tag, varint, fixed field or length-delimited field; a
 * varint longer than 10 bytes or above 2^64 - 1; a length that does not fit
 * in what remains; field number 0; wire types 3, 4 (groups: proto3 has none),
 * 6 and 7; a known field sent with another wire type than its type's (packed
 * and unpacked repeated scalars are both accepted, as protobuf requires); a
 * value that does not fit its 32-bit type (int32, uint32, sint32, enum) or a
 * bool other than 0 or 1; a string that is not valid UTF-8.
 *
 * Accepted, as the protobuf encoding spec requires: unknown fields with a
 * valid wire type (skipped: newer clients may send fields this version does
 * not know), varints padded with redundant 0x80 bytes (at most 10 bytes),
 * fields in any order, and repeated occurrences of a singular field (the last
 * one wins; a message field merges).
 */
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';

export class WireError extends Error {
  override name = 'WireError';
}

const enum Wire {
  VARINT = 0,
  I64 = 1,
  LEN = 2,
  I32 = 5,
}

/** How a varint value must fit its declared type. */
const enum Range {
  ANY64,
  UINT32,
  INT32,
  BOOL,
}

interface ScalarRule {
  wire: Wire;
  range: Range;
  utf8: boolean;
}

interface FieldRule {
  name: string;
  /** The element's rule (scalars and enums), or undefined for a message field. */
  scalar?: ScalarRule;
  message?: DescMessage;
  /** Repeated scalar: may also arrive packed (one LEN of elements). */
  packable: boolean;
}

type Rules = Map<number, FieldRule>;

const MAX_DEPTH = 32;

function scalarRule(type: ScalarType): ScalarRule {
  switch (type) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return { wire: Wire.I64, range: Range.ANY64, utf8: false };
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return { wire: Wire.I32, range: Range.ANY64, utf8: false };
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
      return { wire: Wire.VARINT, range: Range.ANY64, utf8: false };
    case ScalarType.INT32:
      return { wire: Wire.VARINT, range: Range.INT32, utf8: false };
    case ScalarType.UINT32:
    case ScalarType.SINT32: // zigzag: a 32-bit value encodes below 2^32
      return { wire: Wire.VARINT, range: Range.UINT32, utf8: false };
    case ScalarType.BOOL:
      return { wire: Wire.VARINT, range: Range.BOOL, utf8: false };
    case ScalarType.STRING:
      return { wire: Wire.LEN, range: Range.ANY64, utf8: true };
    case ScalarType.BYTES:
      return { wire: Wire.LEN, range: Range.ANY64, utf8: false };
  }
}

const ENUM_RULE: ScalarRule = { wire: Wire.VARINT, range: Range.INT32, utf8: false };

function fieldRule(field: DescField): FieldRule {
  const name = field.name;
  switch (field.fieldKind) {
    case 'scalar':
      return { name, scalar: scalarRule(field.scalar), packable: false };
    case 'enum':
      return { name, scalar: ENUM_RULE, packable: false };
    case 'message':
      return { name, message: field.message, packable: false };
    case 'list': {
      if (field.listKind === 'message') return { name, message: field.message, packable: false };
      const scalar = field.listKind === 'enum' ? ENUM_RULE : scalarRule(field.scalar);
      return { name, scalar, packable: scalar.wire !== Wire.LEN };
    }
    case 'map':
      // No map fields in the schema today; fail loudly if one is added rather than skip its checks.
      throw new Error(`wire-check: map field ${name} is not supported`);
  }
}

const compiled = new WeakMap<DescMessage, Rules>();

function rulesOf(schema: DescMessage): Rules {
  let rules = compiled.get(schema);
  if (!rules) {
    rules = new Map(schema.fields.map((f) => [f.number, fieldRule(f)]));
    compiled.set(schema, rules);
  }
  return rules;
}

/** Throws WireError when `bytes` is not a strictly valid encoding of `schema`. */
export function checkWire(schema: DescMessage, bytes: Uint8Array): void {
  new Checker(bytes).message(schema, 0, bytes.length, 0);
}

/** Walks the bytes; `lo`/`hi` hold the last varint read (two 32-bit halves, no allocation). */
class Checker {
  private lo = 0;
  private hi = 0;

  constructor(private readonly buf: Uint8Array) {}

  message(schema: DescMessage, pos: number, end: number, depth: number): void {
    if (depth > MAX_DEPTH) throw new WireError(`${schema.typeName}: nested too deeply`);
    const rules = rulesOf(schema);
    while (pos < end) {
      pos = this.varint(pos, end, `${schema.typeName}: tag`);
      if (this.hi !== 0) throw new WireError(`${schema.typeName}: tag above 2^32`);
      const fieldNo = this.lo >>> 3;
      const wire = this.lo & 7;
      if (fieldNo === 0) throw new WireError(`${schema.typeName}: field number 0`);
      const rule = rules.get(fieldNo);
      const where = `${schema.typeName}.${rule?.name ?? `#${fieldNo}`}`;
      if (wire !== Wire.VARINT && wire !== Wire.I64 && wire !== Wire.LEN && wire !== Wire.I32) {
        throw new WireError(`${where}: wire type ${wire} is not allowed`);
      }
      if (!rule) {
        pos = this.skip(wire, pos, end, where);
      } else if (rule.message) {
        if (wire !== Wire.LEN) throw new WireError(`${where}: wire type ${wire}, expected 2 (message)`);
        const [start, stop] = this.length(pos, end, where);
        this.message(rule.message, start, stop, depth + 1);
        pos = stop;
      } else {
        const scalar = rule.scalar!;
        if (wire === scalar.wire) {
          pos = this.scalar(scalar, pos, end, where);
        } else if (wire === Wire.LEN && rule.packable) {
          const [start, stop] = this.length(pos, end, where);
          for (let p = start; p < stop; ) p = this.scalar(scalar, p, stop, where);
          pos = stop;
        } else {
          throw new WireError(`${where}: wire type ${wire}, expected ${scalar.wire}`);
        }
      }
    }
  }

  /** One value of a scalar field with its own wire type; returns the position after it. */
  private scalar(rule: ScalarRule, pos: number, end: number, where: string): number {
    switch (rule.wire) {
      case Wire.VARINT:
        pos = this.varint(pos, end, where);
        this.checkRange(rule.range, where);
        return pos;
      case Wire.I64:
        return this.fixed(pos, 8, end, where);
      case Wire.I32:
        return this.fixed(pos, 4, end, where);
      case Wire.LEN: {
        const [start, stop] = this.length(pos, end, where);
        if (rule.utf8 && !isValidUtf8(this.buf, start, stop)) throw new WireError(`${where}: invalid UTF-8`);
        return stop;
      }
    }
  }

  private skip(wire: Wire, pos: number, end: number, where: string): number {
    switch (wire) {
      case Wire.VARINT:
        return this.varint(pos, end, where);
      case Wire.I64:
        return this.fixed(pos, 8, end, where);
      case Wire.I32:
        return this.fixed(pos, 4, end, where);
      case Wire.LEN:
        return this.length(pos, end, where)[1];
    }
  }

  private checkRange(range: Range, where: string): void {
    const { lo, hi } = this;
    switch (range) {
      case Range.ANY64:
        return;
      case Range.UINT32:
        if (hi !== 0) throw new WireError(`${where}: value does not fit in 32 bits`);
        return;
      case Range.INT32:
        // A negative int32 is sent sign-extended to 64 bits (10 bytes).
        if (!(hi === 0 && lo <= 0x7fffffff) && !(hi === 0xffffffff && lo > 0x7fffffff)) {
          throw new WireError(`${where}: value does not fit in a signed 32-bit integer`);
        }
        return;
      case Range.BOOL:
        if (hi !== 0 || lo > 1) throw new WireError(`${where}: bool must be 0 or 1`);
        return;
    }
  }

  private fixed(pos: number, size: number, end: number, where: string): number {
    if (end - pos < size) throw new WireError(`${where}: truncated`);
    return pos + size;
  }

  /** A length prefix and the [start, end) of the bytes it announces. */
  private length(pos: number, end: number, where: string): [number, number] {
    pos = this.varint(pos, end, where);
    if (this.hi !== 0 || this.lo > end - pos) throw new WireError(`${where}: length ${this.describe()} exceeds the ${end - pos} bytes left`);
    return [pos, pos + this.lo];
  }

  private describe(): string {
    return this.hi === 0 ? String(this.lo) : String(BigInt(this.hi) * 2n ** 32n + BigInt(this.lo));
  }

  /** Reads a varint of at most 10 bytes whose value fits in 64 bits; returns the position after it. */
  private varint(pos: number, end: number, where: string): number {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new WireError(`${where}: truncated varint`);
      const b = buf[pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi = bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      // The 10th byte holds only bit 63: anything more is an overflow or an 11th byte.
      if (i === 9 && b > 1) throw new WireError(`${where}: varint longer than 64 bits`);
      if ((b & 0x80) === 0) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return pos;
      }
    }
    throw new WireError(`${where}: varint longer than 64 bits`);
  }
}

/** Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
export function isValidUtf8(buf: Uint8Array, pos: number, end: number): boolean {
  while (pos < end) {
    const b = buf[pos]!;
    if (b < 0x80) {
      pos++;
      continue;
    }
    let need: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) min = 0xa0; // overlong
      if (b === 0xed) max = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) min = 0x90; // overlong
      if (b === 0xf4) max = 0x8f; // above U+10FFFF
    } else return false;
    if (end - pos <= need) return false;
    const second = buf[pos + 1]!;
    if (second < min || second > max) return false;
    for (let k = 2; k <= need; k++) {
      const c = buf[pos + k]!;
      if (c < 0x80 || c > 0xbf) return false;
    }
    pos += need + 1;
  }
  return true;
}
