/**
 * The tus staging area: @tus/file-store, with two changes. Write errors keep
 * their cause (the stock store turns every failure, a full disk included,
 * into one generic error, so the client could not be told the disk is full),
 * and removing an upload whose file the backend already took still drops its
 * metadata file.
 */
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';

export class StagingStore extends FileStore {
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    let received = 0;
    const sink = createWriteStream(join(this.directory, id), { flags: 'r+', start: offset });
    readable.on('data', (chunk: Buffer) => (received += chunk.length));
    await pipeline(readable, sink);
    return offset + received;
  }

  override async remove(id: string): Promise<void> {
    await unlink(join(this.directory, id)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await this.configstore.delete(id);
  }
}
