/**
 * The default backend: a directory in the server's data dir,
 * `<data>/blobs/<first two hex digits>/<digest>`. A verified staging file is
 * fsynced and renamed into place (same file system), then the directory is
 * fsynced, so a committed blob survives a crash.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isBlobDigest } from '../../shared/attachments/format';
import { BlobNotFoundError, type BlobBackend, type ByteRange, type StoredBlob } from './backend';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class LocalBlobBackend implements BlobBackend {
  readonly kind = 'local' as const;

  constructor(readonly root: string) {}

  private pathOf(digest: string): string {
    if (!isBlobDigest(digest)) throw new Error('not a blob digest');
    return join(this.root, digest.slice(0, 2), digest);
  }

  async commit(digest: string, file: string, _size: number): Promise<void> {
    const target = this.pathOf(digest);
    const dir = join(this.root, digest.slice(0, 2));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await fsyncPath(file);
    try {
      await rename(file, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Staging on another file system: copy, then sync the copy.
      const temp = `${target}.part`;
      await copyFile(file, temp);
      await fsyncPath(temp);
      await rename(temp, target);
    }
    await fsyncPath(dir);
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(digest);
    const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new BlobNotFoundError(digest) : err;
    });
    return createReadStream('', { fd: handle, start: range?.start, end: range?.end, highWaterMark: 256 * 1024 });
  }

  async stat(digest: string): Promise<StoredBlob | undefined> {
    try {
      const s = await stat(this.pathOf(digest));
      return { digest, size: s.size, modifiedAt: s.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(digest: string): Promise<void> {
    await unlink(this.pathOf(digest)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async *list(): AsyncIterable<StoredBlob> {
    let dirs: string[];
    try {
      dirs = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const dir of dirs) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of await readdir(join(this.root, dir))) {
        if (!isBlobDigest(name)) continue;
        const found = await this.stat(name);
        if (found) yield found;
      }
    }
  }

  async close(): Promise<void> {}
}
