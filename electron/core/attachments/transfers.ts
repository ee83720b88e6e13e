/**
 * The account's file transfers: uploads (for the outbox, before a message
 * with files is sent), downloads (on demand, into the cache), progress
 * events with bytes, cancel, and the cache's size cap.
 *
 * - Uploads run a message's files one after another; at most
 *   `MAX_UPLOADS` messages upload at once (the server allows a few
 *   concurrent transfers per user). Each file resumes where the server
 *   stopped (tus HEAD), so an upload cut by a network loss, a server restart
 *   or an app restart loses no bytes already stored. The outbox owns the
 *   retry policy: an upload that fails transiently is retried as the message
 *   is, and OFFLINE (no connection to ask for a token) waits for the link.
 * - Downloads of the same file are joined (one transfer, every asker told);
 *   what may pass (a cut, a 5xx, the server restarting) is retried, resuming
 *   from the verified prefix on disk: while the core has no connection the
 *   download waits for it, otherwise it backs off (DownloadRetry). Waiting,
 *   it shows `queued` with the error that holds it up.
 * - Progress: `transferProgress` events, at most every PROGRESS_EVERY_MS per
 *   transfer, plus every change of state.
 * - The cache: after each download, least recently used complete files go
 *   until the cache is under its cap (settings.media.cacheLimitMiB); pinned
 *   files (uploads not acknowledged yet) and files being read never go.
 *   What is evicted downloads again when asked for.
 */
import { stat } from 'node:fs/promises';
import type { ProxyConfig } from '../../../shared/node/proxy/tunnel';
import type { AttachmentBytes, MediaCacheUsage, MediaSettings, TransferPart, TransferProgress } from '../../../shared/ipc';
import { plainSizeOf } from '../../../shared/attachments/format';
import { isDecodable } from '../../../shared/attachments/image-header';
import { THUMBNAIL_MAX_DECODE_SIDE, THUMBNAIL_TYPES, isInlineImageType } from '../../../shared/attachments/media';
import { Command } from '../../../shared/protocol';
import type { Disposable } from '../../../shared/util/disposable';
import type { Cache } from '../cache/api';
import type { Clock } from '../clock';
import type { Link } from '../connection-manager';
import { CoreError, toErrorInfo } from '../errors';
import type { CoreEmitter } from '../events';
import type { Logger } from '../log';
import type { Timings } from '../timings';
import { big, num } from '../wire';
import { transferError } from './blob-http';
import { downloadFile } from './download';
import type { FileStore } from './file-store';
import { decryptTo, freeName, readSlice } from './plaintext';
import { SNIFF_BYTES, sniff, type Sniffed } from './sniff';
import type { StoredAttachment, StoredBlobRef } from './stored';
import { tusUpload } from './tus-upload';

const MAX_UPLOADS = 2;
const MAX_DOWNLOADS = 3;
const PROGRESS_EVERY_MS = 150;
/** A download's verified prefix is recorded at most this often (each record is a durable commit). */
const RECORD_VERIFIED_EVERY = 8 * 1024 * 1024;
/**
 * Download retries while connected, as multiples of timings.transferRetryMs
 * (1, 2, 4, 8, 15 s by default: 30 s of a blob service that does not answer
 * before the download fails). The count starts again whenever an attempt got
 * further into the file: a download that keeps moving is never given up.
 */
const DOWNLOAD_RETRY_FACTORS = [1, 2, 4, 8, 15];
/**
 * While the core has no connection (the server restarting, the network
 * gone), a cut download waits for it, checking every transferRetryMs, up to
 * this many times that (5 minutes by default), then fails with OFFLINE.
 */
const DOWNLOAD_OFFLINE_WAIT_FACTOR = 300;
/** Failures worth another attempt of a download (everything else, such as FILE_DAMAGED or NOT_FOUND, ends it). */
const DOWNLOAD_TRANSIENT = new Set(['UNAVAILABLE', 'OFFLINE', 'TIMEOUT']);
const MIB = 1024 * 1024;

export interface TransferDeps {
  cache: Cache;
  store: FileStore;
  clock: Clock;
  timings: Timings;
  log: Logger;
  events: CoreEmitter;
  /** The authenticated link, if any (tokens come over it). */
  link(): Link | undefined;
  media(): MediaSettings;
  /** The proxy of the settings, read at each transfer (undefined: direct). */
  proxy(): ProxyConfig | undefined;
}

/** A FIFO of slots: at most `size` holders at once; waiting is cancellable. */
async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** Message views per `messagesChanged` event when evicted files change many at once. */
const ANNOUNCE_PAGE = 200;

class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly size: number) {}

  async acquire(signal: AbortSignal): Promise<() => void> {
    if (this.used >= this.size) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal.removeEventListener('abort', stop);
          resolve();
        };
        const stop = () => {
          const i = this.waiting.indexOf(go);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new CoreError('CANCELLED', 'transfer cancelled'));
        };
        if (signal.aborted) return stop();
        signal.addEventListener('abort', stop, { once: true });
        this.waiting.push(go);
      });
    } else {
      this.used++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}

interface Running {
  progress: TransferProgress;
  controller: AbortController;
  lastEmit: number;
}

function transferKey(messageId: string, index: number, direction: 'upload' | 'download', part: TransferPart): string {
  return `${messageId}/${index}/${direction}/${part}`;
}

function keyBytes(ref: StoredBlobRef): Uint8Array {
  return new Uint8Array(Buffer.from(ref.key, 'base64'));
}

export class Transfers implements Disposable {
  private readonly uploads = new Slots(MAX_UPLOADS);
  private readonly downloads = new Slots(MAX_DOWNLOADS);
  private readonly running = new Map<string, Running>();
  /** One download per file, whoever asked. */
  private readonly fetching = new Map<string, Promise<string>>();
  /** Files being read or exported: eviction leaves them. */
  private readonly inUse = new Map<string, number>();
  /** The eviction running now (enforceCacheLimit runs them one after another). */
  private eviction: Promise<number> = Promise.resolve(0);
  private readonly sniffed = new Map<string, Sniffed>();
  private disposed = false;

  constructor(private readonly deps: TransferDeps) {}

  // ------------------------------------------------------------ uploads

  /**
   * Uploads every file of an outgoing message (and the thumbnails of its
   * pictures), resuming each where the server stopped. Resolves when the
   * server holds them all. Rejects with CANCELLED, OFFLINE, or the cause.
   */
  async uploadMessage(messageId: string, attachments: readonly StoredAttachment[]): Promise<void> {
    for (const [index, a] of attachments.entries()) await this.uploadOne(messageId, index, a);
  }

  private async uploadOne(messageId: string, index: number, a: StoredAttachment): Promise<void> {
    const blobs = a.thumbnail ? [a.blob, a.thumbnail] : [a.blob];
    const total = blobs.reduce((n, b) => n + b.cipherSize, 0);
    const run = this.begin(messageId, index, 'upload', 'file', total);
    let release: (() => void) | undefined;
    try {
      release = await this.uploads.acquire(run.controller.signal);
      let done = 0;
      for (const blob of blobs) {
        await tusUpload({
          path: this.deps.store.pathOf(blob.digest),
          size: blob.cipherSize,
          digest: blob.digest,
          authorize: async () => {
            const grant = await this.requireLink().request(Command.BLOB_UPLOAD_AUTH, {
              digest: blob.digest,
              cipherSize: big(blob.cipherSize),
              plainSize: big(plainSizeOf(blob.cipherSize)),
            });
            // A forward shares its original's blob and has no file of its own to send: if the server dropped the blob (retention), say so rather than fail to read a file that never was here.
            if (!grant.alreadyStored && !(await isFile(this.deps.store.pathOf(blob.digest)))) {
              throw new CoreError('FILE_GONE', 'the file is no longer on the server nor on this device');
            }
            return { token: grant.token, uploadUrl: grant.uploadUrl, resumeUrl: grant.resumeUrl, alreadyStored: grant.alreadyStored };
          },
          // 'running' from the first position the server told (0, or where an earlier attempt stopped);
          // what the server acknowledged is always sent (the last of them says every byte is stored).
          onProgress: (bytes, acknowledged) => this.update(run, { bytes: done + bytes, state: 'running' }, acknowledged || run.progress.state !== 'running'),
          onResume: (offset) => {
            this.deps.log.info({ offset, size: blob.cipherSize }, 'upload: resumed where the server stopped');
            this.update(run, { bytes: done + offset }, true);
          },
          signal: run.controller.signal,
          stallMs: this.deps.timings.transferStallMs,
          ...this.proxied(),
          sleep: (ms, signal) => this.sleep(ms, signal),
        });
        done += blob.cipherSize;
        this.update(run, { bytes: done });
      }
      this.finish(run, { state: 'done', bytes: total });
    } catch (err) {
      throw this.failed(run, err);
    } finally {
      release?.();
    }
  }

  // ------------------------------------------------------------ downloads

  /** The file (or thumbnail) of a message into the cache; resolves with its path. */
  async download(messageId: string, index: number, part: TransferPart = 'file'): Promise<string> {
    const { ref } = this.locate(messageId, index, part);
    const path = this.deps.store.pathOf(ref.digest);
    const local = this.deps.cache.localFiles.get(ref.digest);
    if (local && local.have === local.size && (await exists(path))) {
      this.deps.cache.localFiles.touch(ref.digest);
      return path;
    }
    const joined = this.fetching.get(ref.digest);
    // Asked again for the same attachment: the running transfer answers. Another message with the same file: it follows it.
    if (joined) return this.running.has(transferKey(messageId, index, 'download', part)) ? joined : this.follow(messageId, index, part, ref, joined);
    const fetch = this.fetch(messageId, index, part, ref).finally(() => this.fetching.delete(ref.digest));
    this.fetching.set(ref.digest, fetch);
    return fetch;
  }

  /** Another message (or part of the UI) asks for a file already coming: it sees the same progress. */
  private async follow(messageId: string, index: number, part: TransferPart, ref: StoredBlobRef, fetch: Promise<string>): Promise<string> {
    const run = this.begin(messageId, index, 'download', part, ref.cipherSize);
    this.update(run, { state: 'running' }, true);
    try {
      const path = await fetch;
      this.finish(run, { state: 'done', bytes: ref.cipherSize });
      return path;
    } catch (err) {
      throw this.failed(run, err);
    }
  }

  private async fetch(messageId: string, index: number, part: TransferPart, ref: StoredBlobRef): Promise<string> {
    const run = this.begin(messageId, index, 'download', part, ref.cipherSize);
    const { cache, store } = this.deps;
    let release: (() => void) | undefined;
    try {
      release = await this.downloads.acquire(run.controller.signal);
      this.update(run, { state: 'running' }, true);
      const path = await store.ensureDirOf(ref.digest);
      let recorded = 0;
      const retry = new DownloadRetry(this.deps.timings.transferRetryMs, this.deps.clock);
      for (;;) {
        try {
          await downloadFile({
            path,
            digest: ref.digest,
            cipherSize: ref.cipherSize,
            key: keyBytes(ref),
            authorize: async () => {
              const grant = await this.requireLink().request(Command.BLOB_DOWNLOAD_AUTH, { digest: ref.digest });
              if (num(grant.cipherSize) !== ref.cipherSize) throw new CoreError('FILE_DAMAGED', 'the server holds a file of another size');
              return { token: grant.token, url: grant.url };
            },
            onProgress: (bytes) => this.update(run, { bytes }),
            onVerified: (bytes) => {
              retry.verified = bytes;
              if (bytes - recorded < RECORD_VERIFIED_EVERY && bytes < ref.cipherSize) return;
              recorded = bytes;
              cache.localFiles.setHave(ref.digest, ref.cipherSize, bytes);
            },
            signal: run.controller.signal,
            stallMs: this.deps.timings.transferStallMs,
            ...this.proxied(),
            sleep: (ms, signal) => this.sleep(ms, signal),
          });
          break;
        } catch (err) {
          const error = transferError(err);
          const connected = this.deps.link() !== undefined;
          const delay = DOWNLOAD_TRANSIENT.has(error.code) ? retry.next(connected) : undefined;
          if (delay === undefined) throw err;
          this.deps.log.info({ code: error.code, reason: error.message, connected, failures: retry.failures, delayMs: delay }, 'download: retrying');
          const waiting = connected ? error : new CoreError('OFFLINE', 'waiting for the connection to the server');
          this.update(run, { state: 'queued', error: waiting.info }, true);
          await this.sleep(delay, run.controller.signal);
          delete run.progress.error;
          this.update(run, { state: 'running' }, true);
        }
      }
      cache.localFiles.putComplete(ref.digest, ref.cipherSize, false);
      this.finish(run, { state: 'done', bytes: ref.cipherSize });
      if (part === 'file') this.announce(messageId);
      void this.enforceCacheLimit().catch((err: unknown) => this.deps.log.warn({ err: toErrorInfo(err) }, 'cache eviction failed'));
      return path;
    } catch (err) {
      const error = this.failed(run, err);
      if (error.code === 'FILE_DAMAGED') cache.localFiles.remove(ref.digest);
      throw error;
    } finally {
      release?.();
    }
  }

  /** The message's view changed (a file is now on this device). */
  private announce(messageId: string): void {
    const view = this.deps.cache.messages.get(messageId);
    if (view) this.deps.events.emit('messagesChanged', { messages: [view] });
  }

  // ------------------------------------------------------------ reading and exporting

  /** Decrypted bytes of a file (downloaded first if needed) and what the bytes say it is. */
  async read(messageId: string, index: number, part: TransferPart, offset: number, length: number): Promise<AttachmentBytes> {
    const { ref } = this.locate(messageId, index, part);
    return this.using(ref.digest, async () => {
      const path = await this.download(messageId, index, part);
      const key = keyBytes(ref);
      try {
        const sniffed = this.sniffed.get(ref.digest) ?? (await this.inspect(ref.digest, path, key));
        const slice = await readSlice(path, key, offset, length);
        const result: AttachmentBytes = { data: slice.data.toString('base64'), size: slice.size, mime: sniffed.mime, displayable: displayable(sniffed, part) };
        if (sniffed.image) {
          result.width = sniffed.image.width;
          result.height = sniffed.image.height;
        }
        return result;
      } catch (err) {
        if (err instanceof CoreError && err.code === 'FILE_DAMAGED') await this.drop(ref.digest);
        throw err;
      }
    });
  }

  /** Writes the decrypted file to `file`, or under its name into `dir` (reusing an earlier export that is still there). */
  async export(messageId: string, index: number, target: { file?: string; dir?: string }): Promise<string> {
    const { ref, attachment } = this.locate(messageId, index, 'file');
    return this.using(ref.digest, async () => {
      const path = await this.download(messageId, index, 'file');
      const { cache } = this.deps;
      if (target.dir) {
        const earlier = cache.localFiles.get(ref.digest)?.exported;
        if (earlier && (await stat(earlier).then((s) => s.size === attachment.size, () => false))) return earlier;
      }
      const out = target.file ?? (await freeName(target.dir!, attachment.name));
      try {
        await decryptTo(path, keyBytes(ref), ref.cipherSize, out);
      } catch (err) {
        if (err instanceof CoreError && err.code === 'FILE_DAMAGED') await this.drop(ref.digest);
        throw err;
      }
      if (target.dir) cache.localFiles.setExported(ref.digest, out);
      return out;
    });
  }

  private async inspect(digest: string, path: string, key: Uint8Array): Promise<Sniffed> {
    const head = await readSlice(path, key, 0, SNIFF_BYTES);
    const result = await sniff(head.data);
    this.sniffed.set(digest, result);
    const oldest = this.sniffed.keys().next();
    if (this.sniffed.size > 500 && !oldest.done) this.sniffed.delete(oldest.value);
    return result;
  }

  // ------------------------------------------------------------ control

  /** Stops the upload or download of a message's attachment. */
  cancel(messageId: string, index: number): boolean {
    let found = false;
    for (const run of this.running.values()) {
      if (run.progress.messageId === messageId && run.progress.index === index) {
        run.controller.abort();
        found = true;
      }
    }
    return found;
  }

  /** Stops every transfer of a message (it was deleted). */
  cancelMessage(messageId: string): void {
    for (const run of this.running.values()) if (run.progress.messageId === messageId) run.controller.abort();
  }

  list(): TransferProgress[] {
    return [...this.running.values()].map((r) => ({ ...r.progress }));
  }

  /** What the cache of downloaded files holds now (what its cap counts: complete files that are no unsent upload). */
  cacheUsage(): MediaCacheUsage {
    const files = this.deps.cache.localFiles.all().filter((f) => !f.pinned && f.have === f.size);
    return { bytes: files.reduce((n, f) => n + f.size, 0), files: files.length, limitBytes: this.deps.media().cacheLimitMiB * MIB };
  }

  /**
   * Least recently used complete files go until the cache is under its cap
   * (or under `limitBytes`: 0 empties it; "clear cache"). Files of unsent
   * messages, being read or downloading stay. Returns the bytes freed.
   */
  enforceCacheLimit(limitBytes?: number): Promise<number> {
    // One eviction at a time: two that overlap (a download finishing while Settings clears the cache) would pick
    // the same files, and the second would remove a file again after a new download of it had begun.
    const run = this.eviction.then(() => this.evictOverLimit(limitBytes));
    this.eviction = run.catch(() => 0);
    return run;
  }

  private async evictOverLimit(limitBytes: number | undefined): Promise<number> {
    const { cache } = this.deps;
    const limit = limitBytes ?? this.deps.media().cacheLimitMiB * MIB;
    let over = cache.localFiles.cachedBytes() - limit;
    let freed = 0;
    const dropped: string[] = [];
    while (over > 0) {
      const batch = cache.localFiles.leastRecentlyUsed(32).filter((f) => !this.inUse.has(f.digest) && !this.fetching.has(f.digest));
      if (batch.length === 0) break;
      for (const f of batch) {
        // Read or downloaded again since the batch was chosen: it stays.
        if (this.inUse.has(f.digest) || this.fetching.has(f.digest)) continue;
        // The complete file only: a `.part` beside it can only be a download begun since, which must keep its bytes.
        await this.drop(f.digest, { keepPart: true });
        dropped.push(f.digest);
        over -= f.size;
        freed += f.size;
        if (over <= 0) break;
      }
    }
    if (freed > 0) this.deps.log.info({ freedBytes: freed }, 'cache: evicted files');
    this.announceEvicted(dropped);
    return freed;
  }

  /** The messages whose files went are no longer "downloaded": their views change (in pages, a cleared cache can touch thousands). */
  private announceEvicted(digests: readonly string[]): void {
    if (digests.length === 0) return;
    const { messages } = this.deps.cache;
    const ids = messages.referringToFiles(digests);
    for (let i = 0; i < ids.length; i += ANNOUNCE_PAGE) {
      const views = ids.slice(i, i + ANNOUNCE_PAGE).flatMap((id) => messages.get(id) ?? []);
      if (views.length > 0) this.deps.events.emit('messagesChanged', { messages: views });
    }
  }

  /** Forgets a file on this device (it downloads again when asked for). */
  async drop(digest: string, options: { keepPart?: boolean } = {}): Promise<void> {
    this.deps.cache.localFiles.remove(digest);
    this.sniffed.delete(digest);
    await this.deps.store.remove(digest, options);
  }

  dispose(): void {
    this.disposed = true;
    for (const run of this.running.values()) run.controller.abort();
  }

  // ------------------------------------------------------------ helpers

  private locate(messageId: string, index: number, part: TransferPart): { attachment: StoredAttachment; ref: StoredBlobRef } {
    const stored = this.deps.cache.messages.storedAttachments(messageId);
    const attachment = stored?.list[index];
    if (!attachment) throw new CoreError('NOT_FOUND', 'no such attachment');
    const ref = part === 'thumbnail' ? attachment.thumbnail : attachment.blob;
    if (!ref) throw new CoreError('NOT_FOUND', 'the picture has no thumbnail');
    return { attachment, ref };
  }

  private proxied(): { proxy?: ProxyConfig } {
    const proxy = this.deps.proxy();
    return proxy ? { proxy } : {};
  }

  private requireLink(): Link {
    const link = this.deps.link();
    if (!link) throw new CoreError('OFFLINE', 'not connected to the server');
    return link;
  }

  private async using<T>(digest: string, fn: () => Promise<T>): Promise<T> {
    this.inUse.set(digest, (this.inUse.get(digest) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const n = (this.inUse.get(digest) ?? 1) - 1;
      if (n > 0) this.inUse.set(digest, n);
      else this.inUse.delete(digest);
    }
  }

  private begin(messageId: string, index: number, direction: 'upload' | 'download', part: TransferPart, total: number): Running {
    const key = transferKey(messageId, index, direction, part);
    const run: Running = {
      progress: { messageId, index, direction, part, bytes: 0, total, state: 'queued' },
      controller: new AbortController(),
      lastEmit: 0,
    };
    if (this.disposed) run.controller.abort();
    this.running.set(key, run);
    this.emit(run);
    return run;
  }

  private update(run: Running, change: Partial<TransferProgress>, force = false): void {
    Object.assign(run.progress, change);
    const now = this.deps.clock.now();
    if (force || now - run.lastEmit >= PROGRESS_EVERY_MS) this.emit(run);
  }

  private finish(run: Running, change: Partial<TransferProgress>): void {
    Object.assign(run.progress, change);
    this.emit(run);
    const key = transferKey(run.progress.messageId, run.progress.index, run.progress.direction, run.progress.part);
    if (this.running.get(key) === run) this.running.delete(key);
  }

  /** Ends a transfer with its error: OFFLINE when the cause is the missing connection. */
  private failed(run: Running, err: unknown): CoreError {
    let error = transferError(err);
    if (run.controller.signal.aborted) error = new CoreError('CANCELLED', 'transfer cancelled');
    else if (error.code === 'UNAVAILABLE' && !this.deps.link()) error = new CoreError('OFFLINE', 'not connected to the server');
    this.finish(run, { state: error.code === 'CANCELLED' ? 'cancelled' : 'failed', error: error.info });
    return error;
  }

  private emit(run: Running): void {
    run.lastEmit = this.deps.clock.now();
    if (!this.disposed) this.deps.events.emit('transferProgress', { ...run.progress });
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(new CoreError('CANCELLED', 'transfer cancelled'));
      const handle = this.deps.clock.setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve();
      }, ms);
      const stop = () => {
        this.deps.clock.clearTimeout(handle);
        reject(new CoreError('CANCELLED', 'transfer cancelled'));
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }
}

/** When a cut download tries again (DOWNLOAD_RETRY_FACTORS while connected, DOWNLOAD_OFFLINE_WAIT_FACTOR while not). */
export class DownloadRetry {
  /** Bytes verified so far (the download's `onVerified`). */
  verified = 0;
  /** Failures in a row while connected that got no further into the file. */
  failures = 0;
  private verifiedAtFailure = -1;
  private offlineSince: number | undefined;

  constructor(
    private readonly unitMs: number,
    private readonly clock: Clock,
  ) {}

  /** The wait before the next attempt, or undefined when the download should fail now. */
  next(connected: boolean): number | undefined {
    const now = this.clock.now();
    if (!connected) {
      this.offlineSince ??= now;
      return now - this.offlineSince < DOWNLOAD_OFFLINE_WAIT_FACTOR * this.unitMs ? this.unitMs : undefined;
    }
    this.offlineSince = undefined;
    if (this.verified > this.verifiedAtFailure) this.failures = 0;
    this.verifiedAtFailure = this.verified;
    const factor = DOWNLOAD_RETRY_FACTORS[this.failures++];
    return factor === undefined ? undefined : factor * this.unitMs;
  }
}

function displayable(s: Sniffed, part: TransferPart): boolean {
  if (part === 'thumbnail') {
    return THUMBNAIL_TYPES.has(s.mime) && !!s.image && s.image.width <= THUMBNAIL_MAX_DECODE_SIDE && s.image.height <= THUMBNAIL_MAX_DECODE_SIDE;
  }
  return isInlineImageType(s.mime) && isDecodable(s.image);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
