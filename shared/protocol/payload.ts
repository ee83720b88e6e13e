/** Protobuf payload helpers that report malformed input instead of throwing. */
import { fromBinary, toBinary, create, type DescMessage, type MessageShape, type MessageInitShape } from '@bufbuild/protobuf';
import { hotDecoders } from './hot-decode';
import { checkWire } from './wire-check';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Decodes strictly (see wire-check.ts): anything protobuf-es would read
 * leniently (a length above 2^32, a wrong wire type, invalid UTF-8...) is an
 * error, which the server answers with MALFORMED_PAYLOAD. Unknown fields are
 * checked, skipped and not kept. The hot requests' plain shapes are decoded by
 * hand (hot-decode.ts, same result); everything else takes this path.
 */
export function decodePayload<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): Decoded<MessageShape<Desc>> {
  const hot = hotDecoders.get(schema)?.(bytes);
  if (hot !== undefined) return { ok: true, value: hot as MessageShape<Desc> };
  try {
    checkWire(schema, bytes);
    return { ok: true, value: fromBinary(schema, bytes, { readUnknownFields: false }) };
  } catch (err) {
    return { ok: false, error: `malformed ${schema.typeName}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * A value may carry its own encoding under this key (the server's SQLite worker encodes a send's ack by hand,
 * byte-identical to protobuf-es): `encodePayload` then returns those bytes instead of encoding again.
 */
export const ENCODED_PAYLOAD = Symbol.for('tern.encodedPayload');

export function encodePayload<Desc extends DescMessage>(schema: Desc, value: MessageInitShape<Desc>): Uint8Array {
  return (value as { [ENCODED_PAYLOAD]?: Uint8Array })[ENCODED_PAYLOAD] ?? toBinary(schema, create(schema, value));
}
