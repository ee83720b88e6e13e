/**
 * uint64 at the wire edge. protobuf-es generates bigint for uint64 fields;
 * every id, sequence and time stays below 2^53, so the core works with plain
 * numbers and converts here.
 */
export type U64 = bigint;

/** A wire uint64 (or an absent one, as 0) as a number. */
export function num(value: bigint | number | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/** A number as a wire uint64 value. */
export function big(value: number | bigint): U64 {
  return typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
}
