/**
 * Reading cached files back as plaintext: a slice (the UI shows pictures and
 * the web shell saves files a slice at a time), and the whole file to a
 * place on disk (the desktop shell's save, open and show in folder). Only
 * complete files are read, and every chunk is authenticated again on the way
 * out: a file altered on this disk since it was downloaded is refused.
 */
import { createReadStream } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, extname, join } from 'node:path';
import { diskFileName } from '../../../shared/attachments/names';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { FILE_HEADER_SIZE, FILE_TAG_SIZE, FileFormatError, decodeHeader, plainSizeOf } from '../../../shared/attachments/format';
import { ChunkOpener, DecryptStream } from '../../../shared/node/attachments/file-cipher';
import { CoreError } from '../errors';

function damaged(err: unknown): CoreError {
  return new CoreError('FILE_DAMAGED', err instanceof Error ? err.message : String(err));
}

/** Plaintext bytes [offset, offset + length) of the encrypted file at `path` (clipped to the file), and its plaintext size. */
export async function readSlice(path: string, key: Uint8Array, offset: number, length: number): Promise<{ data: Buffer; size: number }> {
  const handle = await open(path, 'r');
  try {
    const cipherBytes = (await handle.stat()).size;
    const header = Buffer.alloc(FILE_HEADER_SIZE);
    await handle.read(header, 0, FILE_HEADER_SIZE, 0);
    let opener: ChunkOpener;
    let chunkSize: number;
    let size: number;
    try {
      chunkSize = 1 << decodeHeader(header).chunkLog2;
      opener = new ChunkOpener(key, header);
      size = plainSizeOf(cipherBytes, chunkSize);
    } catch (err) {
      throw damaged(err);
    }
    const end = Math.min(size, offset + length);
    if (offset >= end) return { data: Buffer.alloc(0), size };
    const first = Math.floor(offset / chunkSize);
    const lastIndex = Math.floor((end - 1) / chunkSize);
    const count = Math.max(1, Math.ceil(size / chunkSize));
    const parts: Buffer[] = [];
    for (let i = first; i <= lastIndex; i++) {
      const plainLength = i === count - 1 ? size - i * chunkSize : chunkSize;
      const sealed = Buffer.alloc(plainLength + FILE_TAG_SIZE);
      await handle.read(sealed, 0, sealed.length, FILE_HEADER_SIZE + i * (chunkSize + FILE_TAG_SIZE));
      const plain = opener.tryOpen(i, sealed, i === count - 1);
      if (!plain) throw damaged(new FileFormatError('tampered', `chunk ${i} failed authentication`));
      parts.push(plain);
    }
    const all = Buffer.concat(parts);
    const skip = offset - first * chunkSize;
    return { data: all.subarray(skip, skip + (end - offset)), size };
  } finally {
    await handle.close();
  }
}

/** Decrypts the whole file into `target` (through a hidden temporary name beside it, so a failure leaves no half file there). */
export async function decryptTo(path: string, key: Uint8Array, cipherSize: number, target: string): Promise<void> {
  const temp = join(dirname(target), `.tern-${randomBytes(6).toString('hex')}.part`);
  try {
    await pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), new DecryptStream(key, cipherSize), createWriteStream(temp, { mode: 0o600 }));
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof FileFormatError) throw damaged(err);
    throw new CoreError('FILE_UNREADABLE', `the file could not be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** `dir/name` (cut to fit the file system), or `dir/stem (1).ext`, `(2)`... when taken. */
export async function freeName(dir: string, raw: string): Promise<string> {
  const name = diskFileName(raw);
  const ext = extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let n = 0; n < 10_000; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem} (${n})${ext}`);
    if (!(await exists(candidate))) return candidate;
  }
  throw new CoreError('FILE_UNREADABLE', 'no free file name in the folder');
}
