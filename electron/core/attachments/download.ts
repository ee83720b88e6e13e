/**
 * Downloads one encrypted file with HTTP ranges, verifying every chunk as it
 * arrives (PROTOCOL.md §13: each chunk is authenticated on its own), into
 * `<digest>.part`; only verified chunks are written. An interrupted download
 * resumes from the part file: its chunks are verified again (a crash may
 * have left a torn write; AES-GCM checks ~1 GB/s, so this costs little) and
 * the rest is asked for with `Range: bytes=<verified>-`. At the end the
 * length and the SHA-256 of the whole ciphertext must match the message, and
 * only then does the file get its final name. A chunk that fails, a stream
 * that ends early or runs long, a wrong digest: FILE_DAMAGED, the part file
 * is deleted, and nothing of it is ever read.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { FILE_HEADER_SIZE, FILE_TAG_SIZE, FileFormatError, decodeHeader } from '../../../shared/attachments/format';
import { ChunkOpener } from '../../../shared/node/attachments/file-cipher';
import type { ProxyConfig } from '../../../shared/node/proxy/tunnel';
import { CoreError } from '../errors';
import { BlobHttpStatusError, BlobNetworkError, blobRequest, discard, statusError } from './blob-http';
import { ByteQueue } from '../../../shared/node/byte-queue';

export interface DownloadGrant {
  token: string;
  url: string;
}

export interface DownloadOptions {
  /** Final path; the part file is `${path}.part`. */
  path: string;
  digest: string;
  cipherSize: number;
  key: Uint8Array;
  authorize(): Promise<DownloadGrant>;
  onProgress(bytes: number): void;
  /** A verified prefix of this many bytes is on disk (for the cache's bookkeeping). */
  onVerified?(bytes: number): void;
  signal: AbortSignal;
  stallMs: number;
  /** The proxy of the settings (undefined: direct). */
  proxy?: ProxyConfig;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

function damaged(message: string): CoreError {
  return new CoreError('FILE_DAMAGED', message);
}

/** Cuts a byte stream into sealed chunks and opens each; tracks the whole file's digest and length. */
class ChunkVerifier {
  private opener: ChunkOpener | undefined;
  private sealedSize = 0;
  private readonly pending = new ByteQueue();
  private index = 0;
  private readonly hash: Hash = createHash('sha256');
  /** Verified bytes (header included). */
  verified = 0;

  constructor(
    private readonly key: Uint8Array,
    private readonly cipherSize: number,
  ) {}

  /** Takes bytes; returns the verified bytes that may be written (whole chunks, or the header). */
  push(bytes: Buffer): Buffer[] {
    this.pending.push(bytes);
    const out: Buffer[] = [];
    if (!this.opener) {
      if (this.pending.length < FILE_HEADER_SIZE) return out;
      const header = this.take(FILE_HEADER_SIZE);
      try {
        const parsed = decodeHeader(header);
        this.opener = new ChunkOpener(this.key, header);
        this.sealedSize = (1 << parsed.chunkLog2) + FILE_TAG_SIZE;
      } catch (err) {
        throw damaged(err instanceof FileFormatError ? err.message : 'bad header');
      }
      out.push(this.accept(header));
    }
    for (;;) {
      const offset = this.verified;
      const remaining = this.cipherSize - offset;
      if (remaining <= 0) {
        if (this.pending.length > 0) throw damaged('bytes after the last chunk');
        return out;
      }
      const want = Math.min(this.sealedSize, remaining);
      if (this.pending.length < want) return out;
      const sealed = this.take(want);
      const last = want === remaining;
      if (!this.opener!.tryOpen(this.index, sealed, last)) throw damaged(`chunk ${this.index} failed authentication`);
      this.index++;
      out.push(this.accept(sealed));
    }
  }

  private accept(bytes: Buffer): Buffer {
    this.hash.update(bytes);
    this.verified += bytes.length;
    return bytes;
  }

  private take(n: number): Buffer {
    return this.pending.take(n);
  }

  /** Bytes received but not yet a whole chunk (dropped when resuming: they are fetched again). */
  get unverified(): number {
    return this.pending.length;
  }

  /** Forgets a torn tail (the part file is cut back to the verified prefix). */
  dropUnverified(): void {
    this.pending.clear();
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Verifies the part file from its start; truncates it to the verified prefix. */
async function resumeFrom(partPath: string, verifier: ChunkVerifier, handle: FileHandle): Promise<void> {
  const size = (await handle.stat()).size;
  if (size === 0) return;
  try {
    for await (const chunk of createReadStream(partPath, { highWaterMark: 1024 * 1024 })) verifier.push(chunk as Buffer);
  } catch (err) {
    // A torn or altered part file: start over rather than fail.
    if (!(err instanceof CoreError && err.code === 'FILE_DAMAGED')) throw err;
    await handle.truncate(0);
    throw new RestartDownload();
  }
  if (verifier.verified < size) {
    await handle.truncate(verifier.verified);
    verifier.dropUnverified();
  }
}

class RestartDownload extends Error {}

export async function downloadFile(o: DownloadOptions): Promise<void> {
  const part = `${o.path}.part`;
  for (let attempt = 0; ; attempt++) {
    try {
      await downloadOnce(o, part);
      return;
    } catch (err) {
      if (err instanceof RestartDownload && attempt === 0) continue;
      if (err instanceof CoreError && err.code === 'FILE_DAMAGED') await rm(part, { force: true });
      throw err;
    }
  }
}

async function downloadOnce(o: DownloadOptions, part: string): Promise<void> {
  const verifier = new ChunkVerifier(o.key, o.cipherSize);
  const handle = await open(part, 'a+');
  try {
    await resumeFrom(part, verifier, handle);
    // Bytes past the verified prefix were dropped; what is there now is whole chunks.
    let written = verifier.verified;
    o.onVerified?.(written);
    o.onProgress(written);
    let grant = await o.authorize();
    let reauthorized = false;
    while (written < o.cipherSize) {
      let res;
      try {
        res = await blobRequest({
          method: 'GET',
          url: grant.url,
          headers: { Authorization: `Bearer ${grant.token}`, ...(written > 0 ? { Range: `bytes=${written}-` } : {}) },
          signal: o.signal,
          stallMs: o.stallMs,
          ...(o.proxy ? { proxy: o.proxy } : {}),
        });
        const expected = written > 0 ? 206 : 200;
        if (res.statusCode !== expected) throw await statusError(res);
        if (Number(res.headers['content-length']) > o.cipherSize - written) {
          await discard(res);
          throw damaged('the server sends more bytes than the file has');
        }
      } catch (err) {
        if (err instanceof BlobHttpStatusError && err.status === 401 && !reauthorized) {
          reauthorized = true;
          grant = await o.authorize();
          continue;
        }
        if (err instanceof BlobHttpStatusError && err.status === 429) {
          await o.sleep(err.retryAfterMs || 1000, o.signal);
          continue;
        }
        throw err;
      }
      try {
        for await (const chunk of res) {
          for (const verified of verifier.push(chunk as Buffer)) {
            await handle.write(verified, 0, verified.length, null);
            written += verified.length;
          }
          o.onProgress(written + verifier.unverified);
          o.onVerified?.(written);
        }
      } catch (err) {
        if (err instanceof CoreError || err instanceof BlobNetworkError) throw err;
        // The connection was cut mid-body: what was verified stays, the caller retries from there.
        throw new BlobNetworkError(err instanceof Error ? err.message : String(err));
      }
      // A complete answer that stops short: the server holds a shorter file than the message names.
      if (written < o.cipherSize) throw damaged('the file ends before its last chunk');
    }
    if (written !== o.cipherSize) throw damaged('the file is not as long as the message says');
    if (verifier.digest() !== o.digest) throw damaged('the file is not the one the message names (digest mismatch)');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(part, o.path);
}

/** Bytes of a part file (0 when there is none). */
export async function partSize(path: string): Promise<number> {
  try {
    return (await stat(`${path}.part`)).size;
  } catch {
    return 0;
  }
}
