/** Protobuf payload helpers that report malformed input instead of throwing. */
import { fromBinary, toBinary, create, type DescMessage, type MessageShape, type MessageInitShape } from '@bufbuild/protobuf';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

export function decodePayload<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): Decoded<MessageShape<Desc>> {
  try {
    return { ok: true, value: fromBinary(schema, bytes) };
  } catch (err) {
    return { ok: false, error: `malformed ${schema.typeName}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function encodePayload<Desc extends DescMessage>(schema: Desc, value: MessageInitShape<Desc>): Uint8Array {
  return toBinary(schema, create(schema, value));
}
