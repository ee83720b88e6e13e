/**
 * uint64 at the wire edge. messages.proto asks for `jstype = JS_NUMBER`, but
 * the generator currently emits bigint; every id, sequence and time stays
 * below 2^53, so the core works with plain numbers and converts here. `wire()`
 * follows whatever the generated code uses, so regenerating with numbers
 * needs no change in the core.
 */
import { create } from '@bufbuild/protobuf';
import { PingSchema, type Ping } from '../../shared/protocol';

/** The TypeScript type of a generated uint64 field (bigint today). */
export type U64 = Ping['sentAt'];

const U64_IS_BIGINT = typeof create(PingSchema).sentAt === 'bigint';

export function num(value: bigint | number): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A number as a generated uint64 field value. */
export function big(value: number | bigint): U64 {
  return (U64_IS_BIGINT ? BigInt(typeof value === 'bigint' ? value : Math.trunc(value)) : Number(value)) as U64;
}
