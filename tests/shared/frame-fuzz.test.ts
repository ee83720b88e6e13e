/**
 * Fuzz: 100k random and mutated byte streams through FrameDecoder. The
 * decoder must never throw, never hold more than maxFrameSize + one chunk,
 * never return a frame whose length breaks the limits, keep its error sticky,
 * and decode unmutated streams exactly.
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder, HEADER_SIZE, type Frame } from '../../shared/protocol';
import { chunks, encodeStream, fuzzCases, fuzzSeed, mutate, randomFrames, Rng, type Mutation } from './support/fuzz';

const CASES = fuzzCases(5_000);

function sameFrames(a: Frame[], b: Frame[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => {
      const g = b[i]!;
      return f.serial === g.serial && f.command === g.command && f.code === g.code && Buffer.from(f.payload).equals(g.payload);
    })
  );
}

describe('FrameDecoder fuzz', () => {
  it(`survives ${CASES} random and mutated streams`, () => {
    const seed = fuzzSeed(20261125);
    const rng = new Rng(seed);
    const counts = new Map<Mutation, number>();
    let errors = 0;
    let framesOut = 0;
    let maxOverhang = 0;
    for (let n = 0; n < CASES; n++) {
      const maxFrameSize = rng.pick([HEADER_SIZE, 64, 1024, 1024 * 1024]);
      const frames = randomFrames(rng, maxFrameSize);
      const stream = encodeStream(frames, maxFrameSize);
      const offsets: number[] = [];
      let offset = 0;
      for (const f of frames) {
        offsets.push(offset);
        offset += HEADER_SIZE + f.payload.length;
      }
      const { bytes, mutation } = mutate(rng, stream, maxFrameSize, offsets);
      counts.set(mutation, (counts.get(mutation) ?? 0) + 1);
      const decoder = new FrameDecoder({ maxFrameSize });
      const out: Frame[] = [];
      let failed = false;
      for (const chunk of chunks(rng, bytes)) {
        let result;
        try {
          result = decoder.push(chunk);
        } catch (err) {
          throw new Error(`seed ${seed} case ${n} (${mutation}): push threw ${String(err)}`);
        }
        if (failed && (result.frames.length > 0 || !result.error)) throw new Error(`seed ${seed} case ${n}: error not sticky`);
        for (const f of result.frames) {
          if (f.payload.length + HEADER_SIZE > maxFrameSize) throw new Error(`seed ${seed} case ${n}: oversized frame returned`);
        }
        out.push(...result.frames);
        if (result.error) failed = true;
        const overhang = decoder.bufferedBytes - chunk.length;
        maxOverhang = Math.max(maxOverhang, overhang);
        if (decoder.bufferedBytes > maxFrameSize + chunk.length) {
          throw new Error(`seed ${seed} case ${n} (${mutation}): holds ${decoder.bufferedBytes} bytes, limit ${maxFrameSize} + ${chunk.length}`);
        }
      }
      if (failed) errors++;
      framesOut += out.length;
      if (mutation === 'none' && (failed || !sameFrames(out, frames) || decoder.bufferedBytes !== 0)) {
        throw new Error(`seed ${seed} case ${n}: a valid stream was not decoded exactly`);
      }
    }
    console.log(`frame fuzz (seed ${seed}): ${CASES} cases, ${errors} ended in a protocol error, ${framesOut} frames decoded, mutations ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(errors).toBeGreaterThan(0);
    expect(maxOverhang).toBeLessThan(1024 * 1024);
  });
});
