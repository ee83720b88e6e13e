/**
 * Where blob ciphertext lives. A finished upload is first a local staging file
 * (the tus store in `<data>/uploads`); once its size and digest are verified
 * the backend takes it under its digest. Backends see ciphertext only.
 */
import type { Readable } from 'node:stream';

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive (as in an HTTP Range header). */
  end: number;
}

export interface StoredBlob {
  digest: string;
  size: number;
  /** When it was stored (ms since the epoch). */
  modifiedAt: number;
}

export interface BlobBackend {
  readonly kind: 'local' | 's3';
  /** Takes a verified staging file (it may move or copy it; the caller deletes what is left). Durable when it resolves. */
  commit(digest: string, file: string, size: number): Promise<void>;
  /** The bytes of a blob, or of one range of it. Rejects with BlobNotFoundError when absent. */
  read(digest: string, range?: ByteRange): Promise<Readable>;
  /** Size and time, or undefined when absent. */
  stat(digest: string): Promise<StoredBlob | undefined>;
  /** Removes a blob; absent is fine. */
  delete(digest: string): Promise<void>;
  /** Every stored blob (the cleanup sweep removes those with no record). */
  list(): AsyncIterable<StoredBlob>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(digest: string) {
    super(`blob ${digest.slice(0, 12)}… not found`);
    this.name = 'BlobNotFoundError';
  }
}
