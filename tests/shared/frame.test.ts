/** Property tests of the frame codec: any split or coalescing gives the same frames; bad lengths are caught before buffering. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, FrameDecoder, HEADER_SIZE, ResultCode, type Frame } from '../../shared/protocol';

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const frameArb = fc.record({ serial: int32, command: int32, code: int32, payload: fc.uint8Array({ maxLength: 600 }) });

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function normalise(frames: Frame[]): { serial: number; command: number; code: number; payload: number[] }[] {
  return frames.map((f) => ({ serial: f.serial, command: f.command, code: f.code, payload: [...f.payload] }));
}

/** Split points: sorted distinct offsets inside the stream. */
function splitAt(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const cut of cuts) {
    parts.push(bytes.subarray(last, cut));
    last = cut;
  }
  parts.push(bytes.subarray(last));
  return parts;
}

function header(length: number): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  new DataView(out.buffer).setInt32(0, length);
  return out;
}

describe('frame codec properties', () => {
  it('round-trips one frame through encode and decode', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const bytes = encodeFrame(frame);
        expect(bytes.length).toBe(HEADER_SIZE + frame.payload.length);
        expect(new DataView(bytes.buffer).getInt32(0)).toBe(bytes.length);
        const { frames, error } = new FrameDecoder().push(bytes);
        expect(error).toBeUndefined();
        expect(normalise(frames)).toEqual(normalise([frame]));
      }),
      { numRuns: 300 },
    );
  });

  it('yields the same frames for any split or coalescing of the stream', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, points) => {
        const stream = concat(frames.map((f) => encodeFrame(f)));
        const decoder = new FrameDecoder();
        const out: Frame[] = [];
        for (const part of splitAt(stream, points)) {
          const r = decoder.push(part);
          expect(r.error).toBeUndefined();
          out.push(...r.frames);
        }
        expect(normalise(out)).toEqual(normalise(frames));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reports a length below 16 as FRAME_TOO_SHORT', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: HEADER_SIZE - 1 }), fc.uint8Array({ maxLength: 64 }), (length, tail) => {
        const decoder = new FrameDecoder();
        const r = decoder.push(concat([header(length), tail]));
        expect(r.error?.code).toBe(ResultCode.FRAME_TOO_SHORT);
        expect(r.error?.length).toBe(length);
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('reports a length above the maximum as FRAME_TOO_LARGE as soon as the header is in, before buffering the body', () => {
    fc.assert(
      fc.property(fc.integer({ min: HEADER_SIZE, max: 4096 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: HEADER_SIZE - 1 }), (max, excess, split) => {
        const length = Math.min(2 ** 31 - 1, max + excess);
        fc.pre(length > max);
        const decoder = new FrameDecoder({ maxFrameSize: max });
        const bytes = header(length);
        // Header in two pieces: nothing reported until it is complete.
        expect(decoder.push(bytes.subarray(0, split)).error).toBeUndefined();
        const r = decoder.push(bytes.subarray(split));
        expect(r.error?.code).toBe(ResultCode.FRAME_TOO_LARGE);
        expect(r.error?.length).toBe(length);
        expect(decoder.bufferedBytes).toBe(0);
        // Sticky: later bytes are not buffered either.
        const again = decoder.push(new Uint8Array(100));
        expect(again.error).toBe(r.error);
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('delivers the frames before an error, then stops', () => {
    const good = encodeFrame({ serial: 1, command: 3, code: 0, payload: Uint8Array.of(1) });
    const r = new FrameDecoder().push(concat([good, header(DEFAULT_MAX_FRAME_SIZE + 1)]));
    expect(r.frames.length).toBe(1);
    expect(r.error?.code).toBe(ResultCode.FRAME_TOO_LARGE);
  });

  it('encodeFrame refuses a frame above the maximum', () => {
    expect(() => encodeFrame({ serial: 0, command: 0, code: 0, payload: new Uint8Array(100) }, 64)).toThrow(RangeError);
  });
});
