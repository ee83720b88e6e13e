/**
 * Uploads one encrypted file to the blob service with tus 1.0 (core +
 * creation), resuming where an earlier attempt stopped.
 *
 *   BLOB_UPLOAD_AUTH (over the protocol) -> token, upload URL, resume URL
 *   HEAD resume URL  -> Upload-Offset of an upload begun before (404: none)
 *   POST upload URL  -> creates it (409 already-stored: nothing to do)
 *   PATCH resume URL -> the bytes from the offset; the final PATCH answers
 *                       only once the server checked the digest and stored it
 *
 * Why not tus-js-client: in Node it brings seven runtime packages into every
 * installer (url-parse, proper-lockfile, ...) for what is three requests
 * here, keeps resume state of its own (we have the server's offset and
 * deterministic upload URLs), has no stall timeout, and reports the service's
 * meaningful answers (409 already-stored, 429 Retry-After, 401 token expired,
 * 507 storage full) as generic errors. This is those three requests over
 * node:http, streaming the file from disk (memory stays flat).
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { ProxyConfig } from '../../../shared/node/proxy/tunnel';
import { CoreError } from '../errors';
import { BlobHttpStatusError, blobRequest, discard, statusError } from './blob-http';

export const TUS_VERSION = '1.0.0';

/**
 * The upload goes as PATCHes of at most this many bytes (tus allows any
 * split): each answer carries the server's Upload-Offset, so the progress
 * the user sees is re-based on what the server holds at least every chunk,
 * and what sits in socket buffers can show at most one chunk early.
 */
export const CHUNK_BYTES = 4 * 1024 * 1024;

export interface UploadGrant {
  token: string;
  uploadUrl: string;
  resumeUrl: string;
  alreadyStored: boolean;
}

export interface TusUploadOptions {
  /** The encrypted file on disk. */
  path: string;
  size: number;
  digest: string;
  /** A fresh grant (BLOB_UPLOAD_AUTH); called again when the token expired. */
  authorize(): Promise<UploadGrant>;
  /**
   * Progress, counted from the file's start. `acknowledged`: the server
   * answered that it holds `bytes` (its Upload-Offset after a chunk); the
   * updates between are bytes handed to the connection, which never run
   * more than one chunk ahead of the last acknowledged offset and never
   * reach the size before the server stored the file.
   */
  onProgress(bytes: number, acknowledged: boolean): void;
  /** Bytes per PATCH (each answered with the server's offset); CHUNK_BYTES unless a test says. */
  chunkBytes?: number;
  /** An earlier upload of this file is continued: the server held `offset` bytes of it. */
  onResume?(offset: number): void;
  signal: AbortSignal;
  stallMs: number;
  /** The proxy of the settings (undefined: direct). */
  proxy?: ProxyConfig;
  /** Waits (429 Retry-After); injected so tests need not sleep. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Longest time spent waiting out 429 answers before giving up. */
  maxRateLimitWaitMs?: number;
}

/** How the upload ended: stored by this upload, or the server had it already. */
export type TusOutcome = 'uploaded' | 'already-stored';

function headers(token: string, extra: Record<string, string | number> = {}): Record<string, string | number> {
  return { Authorization: `Bearer ${token}`, 'Tus-Resumable': TUS_VERSION, ...extra };
}

export async function tusUpload(o: TusUploadOptions): Promise<TusOutcome> {
  let grant = await o.authorize();
  if (grant.alreadyStored) return 'already-stored';
  let waited = 0;
  let reauthorized = false;
  for (;;) {
    try {
      const offset = await currentOffset(o, grant);
      if (offset === 'already-stored') return 'already-stored';
      if (offset > 0) o.onResume?.(offset);
      o.onProgress(offset, true);
      await appendChunks(o, grant, offset);
      return 'uploaded';
    } catch (err) {
      if (!(err instanceof BlobHttpStatusError)) throw err;
      if (err.status === 401 && !reauthorized) {
        // The token expired between requests (a running request is never cut by expiry): once more with a fresh one.
        reauthorized = true;
        grant = await o.authorize();
        if (grant.alreadyStored) return 'already-stored';
        continue;
      }
      if (err.status === 409 && err.code !== 'already-stored') continue; // offset moved under us: ask again
      if (err.status === 429) {
        const wait = err.retryAfterMs || 1000;
        waited += wait;
        if (waited > (o.maxRateLimitWaitMs ?? 120_000)) throw new CoreError('RATE_LIMITED', 'the server keeps refusing more transfers at once');
        await o.sleep(wait, o.signal);
        continue;
      }
      throw err;
    }
  }
}

/** The server's offset for this upload, creating it when it does not exist yet. */
async function currentOffset(o: TusUploadOptions, grant: UploadGrant): Promise<number | 'already-stored'> {
  const head = await blobRequest({ method: 'HEAD', url: grant.resumeUrl, headers: headers(grant.token), signal: o.signal, stallMs: o.stallMs, ...(o.proxy ? { proxy: o.proxy } : {}) });
  if (head.statusCode === 200 || head.statusCode === 204) {
    await discard(head);
    const offset = Number(head.headers['upload-offset']);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > o.size) throw new CoreError('INTERNAL', 'the blob service answered a bad Upload-Offset');
    return offset;
  }
  if (head.statusCode !== 404 && head.statusCode !== 410) throw await statusError(head);
  await discard(head);
  const created = await blobRequest({
    method: 'POST',
    url: grant.uploadUrl,
    headers: headers(grant.token, { 'Upload-Length': o.size, 'Upload-Metadata': `digest ${Buffer.from(o.digest).toString('base64')}`, 'Content-Length': 0 }),
    signal: o.signal,
    stallMs: o.stallMs,
    ...(o.proxy ? { proxy: o.proxy } : {}),
  });
  return created.statusCode === 201 ? (await discard(created), 0) : alreadyStoredOrThrow(created);
}

async function alreadyStoredOrThrow(res: IncomingMessage): Promise<'already-stored'> {
  const err = await statusError(res);
  if (err.status === 409 && err.code === 'already-stored') return 'already-stored';
  throw err;
}

/** PATCHes from `offset` to the end, a chunk each (one empty PATCH when the server has every byte but has not stored the file yet). */
async function appendChunks(o: TusUploadOptions, grant: UploadGrant, offset: number): Promise<void> {
  const chunk = Math.max(1, o.chunkBytes ?? CHUNK_BYTES);
  do {
    const end = Math.min(o.size, offset + chunk);
    const acked = await patch(o, grant, offset, end);
    if (acked <= offset && end > offset) throw new CoreError('UNAVAILABLE', `the upload did not move past ${offset} of ${o.size} bytes`);
    offset = acked;
    // The trailing update: what the server holds, sent even when the last one was a moment ago.
    o.onProgress(offset, true);
  } while (offset < o.size);
}

/** One PATCH of the bytes [offset, end); resolves with the server's Upload-Offset after it. */
async function patch(o: TusUploadOptions, grant: UploadGrant, offset: number, end: number): Promise<number> {
  let sent = offset;
  // Bytes handed to the socket may sit in buffers: shown at most up to one byte short of the chunk's end until the server answers.
  const cap = end - 1;
  const body = offset < end ? createReadStream(o.path, { start: offset, end: end - 1, highWaterMark: 256 * 1024 }) : undefined;
  const res = await blobRequest({
    method: 'PATCH',
    url: grant.resumeUrl,
    headers: headers(grant.token, { 'Upload-Offset': offset, 'Content-Type': 'application/offset+octet-stream', 'Content-Length': end - offset }),
    ...(body ? { body } : {}),
    signal: o.signal,
    stallMs: o.stallMs,
    ...(o.proxy ? { proxy: o.proxy } : {}),
    onSent: (n) => {
      sent += n;
      o.onProgress(Math.min(sent, cap), false);
    },
  });
  if (res.statusCode !== 204 && res.statusCode !== 200) throw await statusError(res);
  await discard(res);
  const acked = Number(res.headers['upload-offset']);
  if (!Number.isSafeInteger(acked) || acked < offset || acked > end) throw new CoreError('UNAVAILABLE', `the server answered offset ${res.headers['upload-offset']} for bytes ${offset}-${end} of ${o.size}`);
  if (end === o.size && acked !== o.size) throw new CoreError('UNAVAILABLE', `the upload stopped at ${acked} of ${o.size} bytes`);
  return acked;
}
