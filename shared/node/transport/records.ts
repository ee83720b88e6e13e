/**
 * The record layer under the frames: every Noise message, handshake or
 * transport, travels as a 2-byte big-endian length followed by that many
 * bytes. After the handshake, the frame byte stream is cut into records of at
 * most MAX_RECORD_PLAINTEXT bytes, each sealed with the direction's
 * CipherState (so a frame may span several records and a record never holds
 * more than 64 KiB).
 */
import { ResultCode } from '../../protocol';
import { TAG_LEN, type CipherState } from '../noise';
import type { TransportError } from './errors';

export const RECORD_HEADER_SIZE = 2;
/** Largest Noise message, so the largest record body. */
export const MAX_RECORD_SIZE = 65535;
/** Plaintext bytes one transport record carries at most. */
export const MAX_RECORD_PLAINTEXT = MAX_RECORD_SIZE - TAG_LEN;
const EMPTY = new Uint8Array(0);

export interface RecordReadResult {
  records: Uint8Array[];
  /** Set once the stream is unusable; every later `push` returns it again. */
  error?: TransportError;
}

/**
 * Splits a byte stream into record bodies. Total over its input: any bytes,
 * in any chunking, give records or a sticky error, never a throw. Never holds
 * more than one record (65537 bytes) plus the chunk being pushed, and no
 * buffer while idle.
 *
 * Invariant: `chunks` holds no empty array and `buffered` is their total
 * length, so a record body (which may be empty) is cut without ever reading
 * past the buffered bytes.
 */
export class RecordReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private error: TransportError | undefined;

  /** `minLength`: shortest acceptable body (the AEAD tag size for transport records). */
  constructor(private readonly minLength = 0) {}

  get bufferedBytes(): number {
    return this.buffered;
  }

  /** The sticky error, once the stream is unusable. */
  get failure(): TransportError | undefined {
    return this.error;
  }

  /** Buffers `chunk` (ignored after an error). */
  append(chunk: Uint8Array): void {
    if (this.error || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete record body, or undefined when more bytes are needed
   * or the stream failed (see `failure`). Pull one at a time when only the
   * first record matters (the handshake), so a flood is never parsed eagerly.
   */
  next(): Uint8Array | undefined {
    if (this.error || this.buffered < RECORD_HEADER_SIZE) return undefined;
    const length = this.peekLength();
    if (length < this.minLength) {
      this.failShort(length);
      return undefined;
    }
    if (this.buffered < RECORD_HEADER_SIZE + length) return undefined;
    this.take(RECORD_HEADER_SIZE);
    const record = this.take(length);
    // An emptied array keeps its backing store (~150 bytes); resetting the length frees it, so an idle connection holds none.
    if (this.buffered === 0) this.chunks.length = 0;
    return record;
  }

  /** Buffers `chunk` and returns every record it completes. */
  push(chunk: Uint8Array): RecordReadResult {
    const records: Uint8Array[] = [];
    if (this.error) return { records, error: this.error };
    let rest = chunk;
    if (this.buffered === 0) {
      // The usual case: nothing is pending, so the chunk starts at a record boundary. Whole records are cut from
      // it as views and only a trailing partial record is queued.
      let offset = 0;
      while (chunk.length - offset >= RECORD_HEADER_SIZE) {
        const length = (chunk[offset]! << 8) | chunk[offset + 1]!;
        if (length < this.minLength) {
          this.failShort(length);
          return { records, error: this.error };
        }
        const end = offset + RECORD_HEADER_SIZE + length;
        if (end > chunk.length) break;
        records.push(chunk.subarray(offset + RECORD_HEADER_SIZE, end));
        offset = end;
      }
      if (offset === chunk.length) return { records };
      rest = offset === 0 ? chunk : chunk.subarray(offset);
    }
    this.append(rest);
    for (let record = this.next(); record !== undefined; record = this.next()) records.push(record);
    return this.error ? { records, error: this.error } : { records };
  }

  /** Removes and returns whatever is buffered (bytes after the last complete record). */
  drain(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    return out;
  }

  /** The sticky error for a record shorter than the minimum; drops what is buffered. */
  private failShort(length: number): void {
    this.error = {
      code: ResultCode.RECORD_TOO_LARGE,
      message: `record length ${length} is below the ${this.minLength}-byte minimum (the AEAD tag)`,
    };
    this.drain();
  }

  /** The 2-byte length at the front; needs `buffered >= 2` (and, by the invariant, no empty chunk). */
  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 2) return (first[0]! << 8) | first[1]!;
    return (first[0]! << 8) | this.chunks[1]![0]!;
  }

  /** Removes the first `n <= buffered` bytes: a view when they sit in one chunk, else a copy. */
  private take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}

export interface OpenResult {
  /** Decrypted record contents, in order. */
  plaintexts: Uint8Array[];
  error?: TransportError;
}

/**
 * Reads and authenticates transport records. A record that fails
 * authentication (altered, replayed, reordered, dropped before it, or from
 * another key) stops the stream with DECRYPT_FAILED; one shorter than the tag
 * with RECORD_TOO_LARGE (the code for "record length out of range").
 */
export class RecordOpener {
  private readonly reader = new RecordReader(TAG_LEN);
  private error: TransportError | undefined;

  constructor(private readonly cipher: CipherState) {}

  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  push(chunk: Uint8Array): OpenResult {
    if (this.error) return { plaintexts: [], error: this.error };
    const { records, error } = this.reader.push(chunk);
    const plaintexts: Uint8Array[] = [];
    for (const record of records) {
      try {
        plaintexts.push(this.cipher.decrypt(record));
      } catch {
        this.error = { code: ResultCode.DECRYPT_FAILED, message: `record ${this.cipher.nonce} failed authentication (tampered, replayed, reordered or truncated)` };
        this.reader.drain();
        return { plaintexts, error: this.error };
      }
    }
    if (error) this.error = error;
    return error ? { plaintexts, error } : { plaintexts };
  }
}

/** Writes the 2-byte length of a record body into the first two bytes of `record`. */
function writeHeader(record: Uint8Array, bodyLength: number): Uint8Array {
  record[0] = bodyLength >>> 8;
  record[1] = bodyLength & 0xff;
  return record;
}

/** Frames a handshake message as a record. */
export function handshakeRecord(message: Uint8Array): Uint8Array {
  if (message.length > MAX_RECORD_SIZE) throw new RangeError(`handshake message of ${message.length} bytes exceeds ${MAX_RECORD_SIZE}`);
  const out = new Uint8Array(RECORD_HEADER_SIZE + message.length);
  out.set(message, RECORD_HEADER_SIZE);
  return writeHeader(out, message.length);
}

/** Seals `plaintext` into as many records as it needs (one per MAX_RECORD_PLAINTEXT bytes; one for empty input). */
export function sealRecords(cipher: CipherState, plaintext: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let offset = 0;
  do {
    const part = plaintext.subarray(offset, offset + MAX_RECORD_PLAINTEXT);
    records.push(writeHeader(cipher.encrypt(part, RECORD_HEADER_SIZE), part.length + TAG_LEN));
    offset += part.length;
  } while (offset < plaintext.length);
  return records;
}
