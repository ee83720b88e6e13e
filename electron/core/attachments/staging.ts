/**
 * The composer's files: encrypted on arrival into the account's staging
 * folder, never written in plaintext. A file comes either as a path (the
 * desktop shell: the core reads it from disk) or as slices of bytes from the
 * UI (the browser holds a File object; the web shell has no path), in order.
 *
 * Each file gets a fresh random key and salt; its chunks are sealed as the
 * bytes arrive (../../../shared/node/attachments/file-cipher.ts), hashed for
 * the digest, and its first MiB is kept to tell what it is (./sniff.ts). The
 * limits are checked before the first byte is taken (too large, empty,
 * attachments turned off on the server).
 */
import { createReadStream } from 'node:fs';
import { open, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { AttachmentLimits, StagedAttachment } from '../../../shared/ipc';
import { FILE_CHUNK_SIZE, cipherSize } from '../../../shared/attachments/format';
import { THUMBHASH_MAX_BYTES, THUMBNAIL_MAX_BYTES, THUMBNAIL_MAX_DECODE_SIDE, THUMBNAIL_TYPES } from '../../../shared/attachments/media';
import { sanitizeFileName } from '../../../shared/attachments/names';
import { ChunkSealer, generateFileKey, generateSalt } from '../../../shared/node/attachments/file-cipher';
import { CoreError } from '../errors';
import type { FileStore } from './file-store';
import { SNIFF_BYTES, sniff, type Sniffed } from './sniff';
import type { StoredAttachment, StoredBlobRef } from './stored';
import { ByteQueue } from '../../../shared/node/byte-queue';

/** Files waiting in the composer(s) at once. */
export const MAX_STAGED = 100;

interface Sealed {
  ref: StoredBlobRef;
  path: string;
}

class StagedFile {
  private readonly sealer: ChunkSealer;
  private readonly hash: Hash = createHash('sha256');
  private readonly pending = new ByteQueue();
  private head: Buffer[] = [];
  private headBytes = 0;
  private index = 0;
  private cipherBytes = 0;
  /** Plaintext bytes taken so far. */
  written = 0;
  /** Serialises the operations on this file (appends arrive one after another, but a discard may come at any time). */
  queue: Promise<unknown> = Promise.resolve();
  file?: Sealed;
  sniffed?: Sniffed;
  thumbnail?: Sealed;
  thumbhash?: Uint8Array;
  discarded = false;

  constructor(
    readonly id: string,
    readonly name: string,
    readonly size: number,
    readonly path: string,
    private readonly handle: FileHandle,
    readonly key: Uint8Array,
  ) {
    this.sealer = new ChunkSealer(key, generateSalt());
  }

  async start(): Promise<void> {
    await this.out(Buffer.from(this.sealer.header));
  }

  async take(bytes: Buffer): Promise<void> {
    if (this.written + bytes.length > this.size) throw new CoreError('INVALID_ARGUMENT', 'more bytes than the file size given to beginAttachment');
    this.written += bytes.length;
    if (this.headBytes < SNIFF_BYTES) {
      const part = bytes.subarray(0, SNIFF_BYTES - this.headBytes);
      this.head.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    this.pending.push(bytes);
    // A chunk is sealed once a byte beyond it arrived (so it is known not to be the last).
    while (this.pending.length > FILE_CHUNK_SIZE) await this.out(this.sealer.seal(this.index++, this.pending.take(FILE_CHUNK_SIZE), false));
  }

  async finish(): Promise<Sniffed> {
    if (this.written !== this.size) throw new CoreError('INVALID_ARGUMENT', `the file has ${this.written} of its ${this.size} bytes`);
    await this.out(this.sealer.seal(this.index++, this.pending.take(this.pending.length), true));
    await this.handle.sync();
    await this.handle.close();
    const expected = cipherSize(this.size);
    if (this.cipherBytes !== expected) throw new CoreError('INTERNAL', 'encrypted size does not match');
    this.file = { path: this.path, ref: { digest: this.hash.digest('hex'), cipherSize: expected, key: Buffer.from(this.key).toString('base64') } };
    this.sniffed = await sniff(Buffer.concat(this.head, this.headBytes));
    this.head = [];
    return this.sniffed;
  }

  async abandon(): Promise<void> {
    this.discarded = true;
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true });
    if (this.thumbnail) await rm(this.thumbnail.path, { force: true });
  }

  private async out(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    this.cipherBytes += bytes.length;
    await this.handle.write(bytes, 0, bytes.length, null);
  }

  view(): StagedAttachment {
    const s = this.sniffed!;
    const view: StagedAttachment = {
      stagingId: this.id,
      name: this.name,
      size: this.size,
      mime: s.mime,
      kind: s.kind,
      decodable: s.decodable,
      hasThumbnail: this.thumbnail !== undefined,
    };
    if (s.image) {
      view.width = s.image.width;
      view.height = s.image.height;
    }
    return view;
  }

  stored(): StoredAttachment {
    const s = this.sniffed!;
    const stored: StoredAttachment = { kind: s.kind, name: this.name, mime: s.mime, size: this.size, blob: this.file!.ref };
    if (s.kind === 'image' && s.image) {
      stored.width = s.image.width;
      stored.height = s.image.height;
      if (this.thumbhash) stored.thumbhash = Buffer.from(this.thumbhash).toString('base64');
      if (this.thumbnail) stored.thumbnail = this.thumbnail.ref;
    }
    return stored;
  }
}

/** Encrypts a small buffer (a thumbnail) whole. */
export function encryptBuffer(plain: Uint8Array): { bytes: Buffer; ref: StoredBlobRef } {
  const key = generateFileKey();
  const sealer = new ChunkSealer(key, generateSalt());
  const parts: Buffer[] = [Buffer.from(sealer.header)];
  const chunks = Math.max(1, Math.ceil(plain.length / sealer.chunkSize));
  for (let i = 0; i < chunks; i++) parts.push(sealer.seal(i, plain.subarray(i * sealer.chunkSize, (i + 1) * sealer.chunkSize), i === chunks - 1));
  const bytes = Buffer.concat(parts);
  return { bytes, ref: { digest: createHash('sha256').update(bytes).digest('hex'), cipherSize: bytes.length, key: Buffer.from(key).toString('base64') } };
}

export interface StagingDeps {
  store: FileStore;
  limits(): AttachmentLimits;
}

/** A file taken for sending: what its message says of it, and its encrypted files to move into the store. */
export interface TakenFile {
  stored: StoredAttachment;
  files: Sealed[];
}

export class StagingArea {
  private readonly files = new Map<string, StagedFile>();

  constructor(private readonly deps: StagingDeps) {}

  /** Checks the limits and opens an encrypted staging file; the bytes follow with `append`. */
  async begin(rawName: string, size: number): Promise<string> {
    const limits = this.deps.limits();
    if (limits.maxFileBytes === 0) throw new CoreError('UNSUPPORTED', 'the server does not take files');
    if (size === 0) throw new CoreError('FILE_EMPTY', 'the file is empty');
    if (size > limits.maxFileBytes) throw new CoreError('FILE_TOO_LARGE', `the file is larger than the server allows (${limits.maxFileBytes} bytes)`);
    if (this.files.size >= MAX_STAGED) throw new CoreError('INVALID_ARGUMENT', `at most ${MAX_STAGED} files wait to be sent at once`);
    const id = randomBytes(12).toString('base64url');
    const path = this.deps.store.stagingPath(`${id}.tern`);
    const handle = await open(path, 'wx', 0o600);
    const file = new StagedFile(id, sanitizeFileName(rawName), size, path, handle, generateFileKey());
    this.files.set(id, file);
    await file.start();
    return id;
  }

  append(id: string, offset: number, bytes: Buffer): Promise<void> {
    return this.run(id, async (file) => {
      if (file.file) throw new CoreError('INVALID_ARGUMENT', 'the file is finished');
      if (offset !== file.written) throw new CoreError('INVALID_ARGUMENT', `expected the bytes at offset ${file.written}, got ${offset}`);
      await file.take(bytes);
    });
  }

  finish(id: string): Promise<StagedAttachment> {
    return this.run(id, async (file) => {
      if (!file.file) await file.finish();
      return file.view();
    });
  }

  /** Stages a file on disk (the desktop shell's path), read as a stream: memory stays flat. */
  async stageFile(path: string): Promise<StagedAttachment> {
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new CoreError('FILE_UNREADABLE', 'not a file');
      size = info.size;
    } catch (err) {
      if (err instanceof CoreError) throw err;
      throw new CoreError('FILE_UNREADABLE', `the file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const id = await this.begin(basename(path), size);
    try {
      let offset = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
        await this.append(id, offset, chunk as Buffer);
        offset += (chunk as Buffer).length;
      }
      return await this.finish(id);
    } catch (err) {
      await this.discard(id);
      if (err instanceof CoreError) throw err;
      throw new CoreError('FILE_UNREADABLE', `the file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /**
   * The picture's thumbnail (drawn by the UI from the file it holds) and
   * ThumbHash. Checked like a received one would be: a small picture of a
   * thumbnail type, within size; encrypted as a blob of its own.
   */
  setThumbnail(id: string, thumbnail: Buffer, thumbhash: Buffer): Promise<StagedAttachment> {
    return this.run(id, async (file) => {
      if (!file.file || file.sniffed?.kind !== 'image') throw new CoreError('INVALID_ARGUMENT', 'only a finished picture takes a thumbnail');
      if (thumbhash.length === 0 || thumbhash.length > THUMBHASH_MAX_BYTES) throw new CoreError('INVALID_ARGUMENT', 'the ThumbHash is 1-64 bytes');
      if (thumbnail.length === 0 || thumbnail.length > THUMBNAIL_MAX_BYTES) throw new CoreError('INVALID_ARGUMENT', 'the thumbnail is 1 byte to 1 MiB');
      const s = await sniff(thumbnail);
      if (!THUMBNAIL_TYPES.has(s.mime) || !s.image || s.image.width > THUMBNAIL_MAX_DECODE_SIDE || s.image.height > THUMBNAIL_MAX_DECODE_SIDE) {
        throw new CoreError('INVALID_ARGUMENT', 'the thumbnail is not a small WebP, JPEG or PNG picture');
      }
      const sealed = encryptBuffer(thumbnail);
      const path = this.deps.store.stagingPath(`${id}.thumb.tern`);
      await writeFile(path, sealed.bytes, { mode: 0o600 });
      file.thumbnail = { path, ref: sealed.ref };
      file.thumbhash = new Uint8Array(thumbhash);
      return file.view();
    });
  }

  async discard(id: string): Promise<void> {
    const file = this.files.get(id);
    if (!file) return;
    this.files.delete(id);
    await file.queue.catch(() => undefined);
    await file.abandon();
  }

  /** Takes finished files out of the staging area, in the given order, for a message. Nothing is taken if one is missing. */
  take(ids: readonly string[]): TakenFile[] {
    const files = ids.map((id) => this.files.get(id));
    if (new Set(ids).size !== ids.length) throw new CoreError('INVALID_ARGUMENT', 'the same file twice');
    for (const [i, f] of files.entries()) {
      if (!f) throw new CoreError('NOT_FOUND', `no file staged as ${ids[i]}`);
      if (!f.file) throw new CoreError('INVALID_ARGUMENT', `the file ${ids[i]} is not finished`);
    }
    return files.map((f) => {
      this.files.delete(f!.id);
      return { stored: f!.stored(), files: f!.thumbnail ? [f!.file!, f!.thumbnail] : [f!.file!] };
    });
  }

  async dispose(): Promise<void> {
    const all = [...this.files.values()];
    this.files.clear();
    for (const f of all) await f.abandon();
  }

  private run<T>(id: string, op: (file: StagedFile) => Promise<T>): Promise<T> {
    const file = this.files.get(id);
    if (!file) return Promise.reject(new CoreError('NOT_FOUND', 'no such staged file (discarded, sent, or from before a restart)'));
    const result = file.queue.then(
      () => (file.discarded ? Promise.reject(new CoreError('CANCELLED', 'the file was removed')) : op(file)),
      () => (file.discarded ? Promise.reject(new CoreError('CANCELLED', 'the file was removed')) : op(file)),
    );
    file.queue = result.catch(() => undefined);
    return result.catch(async (err: unknown) => {
      // A failed write (disk full, the source vanished) leaves nothing usable: the file is dropped.
      // A caller's mistake (a wrong offset, a bad thumbnail) leaves it as it was.
      const callersMistake = err instanceof CoreError && (err.code === 'INVALID_ARGUMENT' || err.code === 'CANCELLED');
      if (!callersMistake && this.files.get(id) === file) {
        this.files.delete(id);
        await file.abandon();
      }
      throw err;
    });
  }
}
