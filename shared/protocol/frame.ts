/**
 * The 16-byte frame header and a streaming decoder.
 *
 * Frame layout (all four fields big-endian int32):
 *   length  - the whole frame, header included (>= 16)
 *   serial  - request/response correlation
 *   command - a `Command`
 *   code    - a `ResultCode` (0 in requests and pushes)
 * followed by `length - 16` bytes of protobuf payload.
 *
 * The decoder checks the length field before it allocates anything for the
 * frame, so a peer cannot make us reserve more than `maxFrameSize` bytes.
 */
import { ResultCode } from '../gen/tern/v1/protocol_pb';

export const HEADER_SIZE = 16;
/** Default upper bound of `length` (header included): 1 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;

export interface Frame {
  serial: number;
  command: number;
  code: number;
  payload: Uint8Array;
}

export interface FrameError {
  code: ResultCode.FRAME_TOO_SHORT | ResultCode.FRAME_TOO_LARGE;
  /** The offending length field. */
  length: number;
  message: string;
}

export interface DecodeResult {
  frames: Frame[];
  /** Set once the stream is unusable; every later `push` returns it again. */
  error?: FrameError;
}

/** Serialises one frame into a new buffer. Throws on a frame above `maxFrameSize`. */
export function encodeFrame(frame: Frame, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): Uint8Array {
  const length = frameLength(frame, maxFrameSize);
  const out = new Uint8Array(length);
  writeFrame(frame, length, out, 0);
  return out;
}

/** The encoded size of `frame`, header included. Throws RangeError above `maxFrameSize`. */
export function frameLength(frame: Frame, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): number {
  const length = HEADER_SIZE + frame.payload.length;
  if (length > maxFrameSize) {
    throw new RangeError(`frame of ${length} bytes exceeds the maximum of ${maxFrameSize}`);
  }
  return length;
}

/**
 * Writes `frame` (whose encoded size is `length`, see frameLength) into `out`
 * at `offset`. The header is written byte by byte: a DataView per frame was
 * a measurable share of the hot path's allocations.
 */
export function writeFrame(frame: Frame, length: number, out: Uint8Array, offset: number): void {
  writeInt32(out, offset, length);
  writeInt32(out, offset + 4, frame.serial);
  writeInt32(out, offset + 8, frame.command);
  writeInt32(out, offset + 12, frame.code);
  out.set(frame.payload, offset + HEADER_SIZE);
}

function writeInt32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
}

/** The frame of `length` bytes at `offset` of `bytes`; its payload is a view. */
function frameAt(bytes: Uint8Array, offset: number, length: number): Frame {
  return {
    serial: readInt32(bytes, offset + 4),
    command: readInt32(bytes, offset + 8),
    code: readInt32(bytes, offset + 12),
    payload: bytes.subarray(offset + HEADER_SIZE, offset + length),
  };
}

/** The big-endian int32 at `at` (as DataView.getInt32 reads it). */
function readInt32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

/**
 * Turns a byte stream, split or coalesced in any way, into frames.
 * Never throws for bad input: errors are returned, and the decoder then stays
 * in the error state (the caller closes the connection).
 */
export class FrameDecoder {
  readonly maxFrameSize: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private error: FrameError | undefined;

  constructor(options: { maxFrameSize?: number } = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(max) || max < HEADER_SIZE || max > 0x7fffffff) {
      throw new RangeError(`maxFrameSize must be an integer in [${HEADER_SIZE}, 2^31-1]`);
    }
    this.maxFrameSize = max;
  }

  /** Bytes held while waiting for the rest of a frame (never above maxFrameSize + one chunk). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): DecodeResult {
    if (this.error) return { frames: [], error: this.error };
    const frames: Frame[] = [];
    let rest = chunk;
    if (this.buffered === 0) {
      // The usual case: nothing is pending, so the chunk starts at a frame boundary. Whole frames are cut from it
      // as views and only a trailing partial frame is queued: the queue (and its array) stays unused.
      let offset = 0;
      while (chunk.length - offset >= HEADER_SIZE) {
        const length = readInt32(chunk, offset);
        const invalid = this.checkLength(frames, length);
        if (invalid) return invalid;
        if (chunk.length - offset < length) break;
        frames.push(frameAt(chunk, offset, length));
        offset += length;
      }
      if (offset === chunk.length) return { frames };
      rest = offset === 0 ? chunk : chunk.subarray(offset);
    }
    if (rest.length > 0) {
      this.chunks.push(rest);
      this.buffered += rest.length;
    }
    while (this.buffered >= HEADER_SIZE) {
      const first = this.chunks[0]!;
      const length = first.length >= 4 ? readInt32(first, 0) : readInt32(this.copyOut(4, false), 0);
      const invalid = this.checkLength(frames, length);
      if (invalid) return invalid;
      if (this.buffered < length) break;
      frames.push(frameAt(this.take(length), 0, length));
    }
    // An emptied array keeps its backing store (~150 bytes); resetting the length frees it, so an idle connection holds none.
    if (this.buffered === 0) this.chunks.length = 0;
    return { frames };
  }

  /** The error result for a length field out of range (checked before anything is allocated for the frame), else undefined. */
  private checkLength(frames: Frame[], length: number): DecodeResult | undefined {
    if (length < HEADER_SIZE) {
      return this.fail(frames, ResultCode.FRAME_TOO_SHORT, length, `frame length ${length} is below the ${HEADER_SIZE}-byte header`);
    }
    if (length > this.maxFrameSize) {
      return this.fail(frames, ResultCode.FRAME_TOO_LARGE, length, `frame length ${length} exceeds the maximum of ${this.maxFrameSize}`);
    }
    return undefined;
  }

  private fail(frames: Frame[], code: FrameError['code'], length: number, message: string): DecodeResult {
    this.error = { code, length, message };
    this.chunks = [];
    this.buffered = 0;
    return { frames, error: this.error };
  }

  /** Removes and returns the first `n` buffered bytes. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    return this.copyOut(n, true);
  }

  private copyOut(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let index = 0;
    while (filled < n) {
      const chunk = this.chunks[index]!;
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (consume) {
        if (part === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(part);
      } else {
        index++;
      }
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
