/**
 * Deterministic random streams and mutations for the fuzz tests. The seed is
 * fixed so CI is reproducible; FUZZ_SEED=<n> explores other cases and the
 * tests print the seed they used. `npm test` runs a few thousand cases per
 * fuzzer; FUZZ_CASES=<n> runs n instead (long runs: FUZZ_CASES=200000), and a
 * failure prints the seed and case number to replay it.
 */
import { HEADER_SIZE, encodeFrame, type Frame } from '../../../shared/protocol';
import type { CipherState } from '../../../shared/node/noise';
import { sealRecords } from '../../../shared/node/transport/records';

export function fuzzSeed(fallback: number): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/** How many cases a fuzzer runs: FUZZ_CASES when set (a positive integer), else its default. */
export function fuzzCases(fallback: number): number {
  const fromEnv = Number(process.env.FUZZ_CASES);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/** mulberry32: small, fast, good enough to drive a fuzzer. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

export function randomFrames(rng: Rng, maxFrameSize: number): Frame[] {
  const count = 1 + rng.int(4);
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) {
    const cap = Math.min(maxFrameSize - HEADER_SIZE, rng.next() < 0.05 ? 5000 : 120);
    frames.push({ serial: rng.int(2 ** 31), command: rng.int(100), code: rng.int(1000), payload: rng.bytes(rng.int(cap + 1)) });
  }
  return frames;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function encodeStream(frames: Frame[], maxFrameSize: number): Uint8Array {
  return concatBytes(frames.map((f) => encodeFrame(f, maxFrameSize)));
}

/** Interesting int32 values for a rewritten header field. */
function headerValue(rng: Rng, maxFrameSize: number): number {
  return rng.pick([0, 1, 15, 16, 17, maxFrameSize, maxFrameSize + 1, 0x7fffffff, -1, -2147483648, rng.int(2 ** 32) | 0, rng.int(maxFrameSize + 64)]);
}

export type Mutation = 'none' | 'bitflip' | 'truncate' | 'insert' | 'delete' | 'header' | 'random';

/** One mutation of a valid stream (or a fresh random one). */
export function mutate(rng: Rng, stream: Uint8Array, maxFrameSize: number, headerOffsets: readonly number[]): { bytes: Uint8Array; mutation: Mutation } {
  const mutation = rng.pick<Mutation>(['none', 'bitflip', 'bitflip', 'truncate', 'insert', 'delete', 'header', 'header', 'random']);
  switch (mutation) {
    case 'none':
      return { bytes: stream, mutation };
    case 'bitflip': {
      const out = new Uint8Array(stream);
      const flips = 1 + rng.int(4);
      for (let i = 0; i < flips && out.length > 0; i++) {
        const bit = rng.int(out.length * 8);
        out[bit >> 3]! ^= 1 << (bit & 7);
      }
      return { bytes: out, mutation };
    }
    case 'truncate':
      return { bytes: stream.subarray(0, rng.int(stream.length + 1)), mutation };
    case 'insert': {
      const at = rng.int(stream.length + 1);
      return { bytes: concatBytes([stream.subarray(0, at), rng.bytes(1 + rng.int(40)), stream.subarray(at)]), mutation };
    }
    case 'delete': {
      const at = rng.int(stream.length + 1);
      return { bytes: concatBytes([stream.subarray(0, at), stream.subarray(at + 1 + rng.int(40))]), mutation };
    }
    case 'header': {
      const out = new Uint8Array(stream);
      const view = new DataView(out.buffer);
      const base = rng.pick(headerOffsets);
      const field = rng.int(4) * 4;
      if (base + field + 4 <= out.length) view.setInt32(base + field, headerValue(rng, maxFrameSize));
      return { bytes: out, mutation };
    }
    case 'random':
      return { bytes: rng.bytes(rng.int(200)), mutation };
  }
}

/** Cuts `bytes` into random chunks (sizes 1..max), sometimes one chunk. */
export function* chunks(rng: Rng, bytes: Uint8Array, max = 64): Generator<Uint8Array> {
  if (rng.next() < 0.2) {
    yield bytes;
    return;
  }
  let offset = 0;
  while (offset < bytes.length) {
    const size = 1 + rng.int(max);
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

/** Seals `plain` with `send`, cut into records at random points (as a sender with small writes would); returns the wire stream and where each record starts. */
export function sealAtRandomCuts(rng: Rng, send: CipherState, plain: Uint8Array): { stream: Uint8Array; recordOffsets: number[] } {
  const records: Uint8Array[] = [];
  const recordOffsets: number[] = [];
  let wire = 0;
  for (let offset = 0; offset < plain.length; ) {
    const size = 1 + rng.int(plain.length - offset);
    for (const record of sealRecords(send, plain.subarray(offset, offset + size))) {
      records.push(record);
      recordOffsets.push(wire);
      wire += record.length;
    }
    offset += size;
  }
  return { stream: concatBytes(records), recordOffsets };
}
