/**
 * Streaming encryption and decryption of attachments in the format of
 * `shared/attachments/format.ts` (spec: docs/PROTOCOL.md §13). AES-256-GCM and
 * HKDF-SHA256 from node:crypto: both exist in OpenSSL (Node) and BoringSSL
 * (Electron), and run natively at GB/s, so a 100 MiB file costs little CPU.
 *
 * Memory stays flat: the encryptor holds at most one chunk (64 KiB) plus what
 * the source hands it; the decryptor holds one ciphertext chunk, and releases
 * a chunk's plaintext only after its tag verified.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import {
  FILE_CHUNK_LOG2,
  FILE_HEADER_SIZE,
  FILE_KDF_INFO,
  FILE_KEY_SIZE,
  FILE_SALT_SIZE,
  FILE_TAG_SIZE,
  FileFormatError,
  chunkNonce,
  decodeHeader,
  encodeHeader,
} from '../../attachments/format';
import { ByteQueue } from '../byte-queue';

/** A fresh random 32-byte file key: one per file, never reused. */
export function generateFileKey(): Uint8Array {
  return new Uint8Array(randomBytes(FILE_KEY_SIZE));
}

export function generateSalt(): Uint8Array {
  return new Uint8Array(randomBytes(FILE_SALT_SIZE));
}

/** The AES key of the chunks: HKDF-SHA256(ikm = file key, salt = header salt, info = FILE_KDF_INFO). */
export function deriveChunkKey(fileKey: Uint8Array, salt: Uint8Array): Buffer {
  if (fileKey.length !== FILE_KEY_SIZE) throw new RangeError(`file key must be ${FILE_KEY_SIZE} bytes`);
  return Buffer.from(hkdfSync('sha256', fileKey, salt, FILE_KDF_INFO, 32));
}

/** Seals chunks of one file. Deterministic for a given key and salt, so an interrupted upload can be re-made byte for byte. */
export class ChunkSealer {
  readonly header: Uint8Array;
  readonly chunkSize: number;
  private readonly key: Buffer;
  private readonly aad: Buffer;

  constructor(fileKey: Uint8Array, salt: Uint8Array, chunkLog2 = FILE_CHUNK_LOG2) {
    this.header = encodeHeader(salt, chunkLog2);
    this.aad = Buffer.from(this.header);
    this.chunkSize = 1 << chunkLog2;
    this.key = deriveChunkKey(fileKey, salt);
  }

  seal(index: number, plaintext: Uint8Array, last: boolean): Buffer {
    if (plaintext.length > this.chunkSize || (!last && plaintext.length !== this.chunkSize)) throw new RangeError('chunk has the wrong size');
    const cipher = createCipheriv('aes-256-gcm', this.key, chunkNonce(index, last));
    cipher.setAAD(this.aad);
    const body = cipher.update(plaintext);
    cipher.final();
    return Buffer.concat([body, cipher.getAuthTag()]);
  }
}

/** Opens chunks of one file; `open` throws FileFormatError('tampered') when a chunk fails authentication. */
export class ChunkOpener {
  readonly chunkSize: number;
  private readonly key: Buffer;
  private readonly aad: Buffer;

  constructor(fileKey: Uint8Array, header: Uint8Array) {
    const parsed = decodeHeader(header);
    this.aad = Buffer.from(header.subarray(0, FILE_HEADER_SIZE));
    this.chunkSize = 1 << parsed.chunkLog2;
    this.key = deriveChunkKey(fileKey, parsed.salt);
  }

  /** The plaintext of a chunk, or undefined when it does not authenticate as (index, last). */
  tryOpen(index: number, sealed: Uint8Array, last: boolean): Buffer | undefined {
    if (sealed.length < FILE_TAG_SIZE || sealed.length > this.chunkSize + FILE_TAG_SIZE) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.key, chunkNonce(index, last));
    decipher.setAAD(this.aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - FILE_TAG_SIZE));
    const body = decipher.update(sealed.subarray(0, sealed.length - FILE_TAG_SIZE));
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return body;
  }

  open(index: number, sealed: Uint8Array, last: boolean): Buffer {
    const plain = this.tryOpen(index, sealed, last);
    if (!plain) throw new FileFormatError('tampered', `chunk ${index} failed authentication`);
    return plain;
  }
}

/**
 * A Transform from plaintext to ciphertext. A chunk is sealed once a byte
 * beyond it arrived (so it is known not to be the last); the last chunk is
 * sealed when the input ends.
 */
export class EncryptStream extends Transform {
  private readonly sealer: ChunkSealer;
  private readonly queue = new ByteQueue();
  private index = 0;

  constructor(fileKey: Uint8Array, salt: Uint8Array = generateSalt(), chunkLog2 = FILE_CHUNK_LOG2) {
    super();
    this.sealer = new ChunkSealer(fileKey, salt, chunkLog2);
    this.push(Buffer.from(this.sealer.header));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.queue.push(chunk);
    while (this.queue.length > this.sealer.chunkSize) {
      this.push(this.sealer.seal(this.index++, this.queue.take(this.sealer.chunkSize), false));
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.push(this.sealer.seal(this.index++, this.queue.take(this.queue.length), true));
    callback();
  }
}

/**
 * A Transform from ciphertext to plaintext. Every chunk's plaintext is released
 * only after its tag verified; the stream errors with FileFormatError when the
 * ciphertext was altered, reordered, cut short or extended. A consumer must
 * still treat what it received as unusable until the stream ended without
 * error (the first chunks of a truncated file are authentic, the file is not whole).
 */
export class DecryptStream extends Transform {
  private opener: ChunkOpener | undefined;
  private readonly queue = new ByteQueue();
  private index = 0;
  private sealedSize = 0;
  private received = 0;

  /** `expectedSize`: the ciphertext size the message names; a shorter or longer stream is refused as such. */
  constructor(
    private readonly fileKey: Uint8Array,
    private readonly expectedSize?: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.received += chunk.length;
      if (this.expectedSize !== undefined && this.received > this.expectedSize) throw new FileFormatError('trailing-data', 'ciphertext longer than its stated size');
      this.queue.push(chunk);
      if (!this.opener) {
        if (this.queue.length < FILE_HEADER_SIZE) return callback();
        this.opener = new ChunkOpener(this.fileKey, this.queue.take(FILE_HEADER_SIZE));
        this.sealedSize = this.opener.chunkSize + FILE_TAG_SIZE;
      }
      // A full chunk followed by more bytes is not the last one.
      while (this.queue.length > this.sealedSize) {
        const sealed = this.queue.take(this.sealedSize);
        const plain = this.opener.tryOpen(this.index, sealed, false);
        if (!plain) throw this.explain(sealed, false);
        this.index++;
        this.push(plain);
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.expectedSize !== undefined && this.received < this.expectedSize) throw new FileFormatError('truncated', 'ciphertext shorter than its stated size');
      if (!this.opener) throw new FileFormatError('truncated', 'ciphertext shorter than its header');
      const sealed = this.queue.take(this.queue.length);
      if (sealed.length === 0) throw new FileFormatError('truncated', `ciphertext ends after chunk ${this.index - 1}, which is not the last`);
      const plain = this.opener.tryOpen(this.index, sealed, true);
      if (!plain) throw this.explain(sealed, true);
      this.push(plain);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  /** Why a chunk failed: it authenticates with the other last-flag (cut short, or bytes appended), or not at all (tampered). */
  private explain(sealed: Buffer, atEnd: boolean): FileFormatError {
    if (this.opener!.tryOpen(this.index, sealed, !atEnd)) {
      return atEnd
        ? new FileFormatError('truncated', `ciphertext ends after chunk ${this.index}, which is not the last`)
        : new FileFormatError('trailing-data', `bytes follow the last chunk ${this.index}`);
    }
    return new FileFormatError('tampered', `chunk ${this.index} failed authentication`);
  }
}

/** A pass-through that hashes (SHA-256) and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private result: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** Lower-case hex SHA-256 of everything that passed; only after the stream ended. */
  digest(): string {
    this.result ??= this.hash.digest('hex');
    return this.result;
  }
}
