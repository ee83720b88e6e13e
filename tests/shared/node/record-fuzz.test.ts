/**
 * Fuzz: sealed record streams, mutated at the byte level, through
 * RecordOpener (with the right key) and FrameDecoder. Never a throw, bounded
 * buffering, and authentication holds: whatever plaintext comes out is a
 * prefix of what was sealed.
 */
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../../shared/protocol';
import { CipherState, ciphers } from '../../../shared/node/noise';
import { MAX_RECORD_SIZE, RECORD_HEADER_SIZE, RecordOpener } from '../../../shared/node/transport/records';
import { chunks, concatBytes, encodeStream, fuzzCases, fuzzSeed, mutate, randomFrames, Rng, sealAtRandomCuts, type Mutation } from '../support/fuzz';

const CASES = fuzzCases(5_000);

describe('RecordOpener + FrameDecoder fuzz', () => {
  it(`survives ${CASES} mutated sealed streams`, () => {
    const seed = fuzzSeed(7_2026);
    const rng = new Rng(seed);
    const key = rng.bytes(32);
    const counts = new Map<Mutation, number>();
    let rejected = 0;
    for (let n = 0; n < CASES; n++) {
      const maxFrameSize = rng.pick([64, 1024, 1024 * 1024]);
      const frames = randomFrames(rng, maxFrameSize);
      const plain = encodeStream(frames, maxFrameSize);
      const sender = new CipherState(ciphers.AESGCM);
      sender.initializeKey(key);
      const { stream, recordOffsets } = sealAtRandomCuts(rng, sender, plain);
      const { bytes, mutation } = mutate(rng, stream, MAX_RECORD_SIZE, recordOffsets);
      counts.set(mutation, (counts.get(mutation) ?? 0) + 1);
      const receiver = new CipherState(ciphers.AESGCM);
      receiver.initializeKey(key);
      const opener = new RecordOpener(receiver);
      const decoder = new FrameDecoder({ maxFrameSize });
      const opened: Uint8Array[] = [];
      let failed = false;
      for (const chunk of chunks(rng, bytes, 256)) {
        let result;
        try {
          result = opener.push(chunk);
          for (const p of result.plaintexts) decoder.push(p);
        } catch (err) {
          throw new Error(`seed ${seed} case ${n} (${mutation}): threw ${String(err)}`);
        }
        opened.push(...result.plaintexts);
        if (result.error) failed = true;
        if (opener.bufferedBytes > RECORD_HEADER_SIZE + MAX_RECORD_SIZE + chunk.length) throw new Error(`seed ${seed} case ${n}: opener holds ${opener.bufferedBytes}`);
        if (decoder.bufferedBytes > maxFrameSize + MAX_RECORD_SIZE) throw new Error(`seed ${seed} case ${n}: decoder holds ${decoder.bufferedBytes}`);
      }
      const out = concatBytes(opened);
      if (!Buffer.from(plain.subarray(0, out.length)).equals(out)) {
        throw new Error(`seed ${seed} case ${n} (${mutation}): unauthentic plaintext accepted`);
      }
      if (mutation === 'none' && (failed || out.length !== plain.length)) throw new Error(`seed ${seed} case ${n}: valid stream not opened`);
      if (failed) rejected++;
    }
    console.log(`record fuzz (seed ${seed}): ${CASES} cases, ${rejected} rejected, mutations ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(rejected).toBeGreaterThan(CASES / 4);
  });
});
