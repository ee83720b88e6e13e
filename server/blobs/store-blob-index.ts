/** The BlobIndex of the blob service, on the server's store (operations in server/operations/blobs.ts). */
import { addBlob, blobUsage, canReadBlob, expiredBlobs, getBlob, removeBlobs, unreferencedBlobs } from '../operations/blobs';
import type { Runner } from '../services/runner';
import type { BlobIndex, BlobRecord } from './blob-index';

export class StoreBlobIndex implements BlobIndex {
  constructor(private readonly run: Pick<Runner, 'read' | 'write'>) {}

  async get(digest: string): Promise<BlobRecord | undefined> {
    const row = await this.run.read(getBlob, digest);
    return row && { digest: row.digest, size: row.size, uploaderId: row.uploader_id, createdAt: row.created_at };
  }

  add(r: BlobRecord): Promise<void> {
    return this.run.write(addBlob, { digest: r.digest, size: r.size, uploader_id: r.uploaderId, created_at: r.createdAt });
  }

  usage(userId: number): Promise<number> {
    return this.run.read(blobUsage, userId);
  }

  canRead(userId: number, digest: string): Promise<boolean> {
    return this.run.read(canReadBlob, { userId, digest });
  }

  unreferenced(before: number, limit: number): Promise<string[]> {
    return this.run.read(unreferencedBlobs, { before, limit });
  }

  expired(before: number, limit: number): Promise<string[]> {
    return this.run.read(expiredBlobs, { before, limit });
  }

  remove(digests: readonly string[]): Promise<void> {
    return this.run.write(removeBlobs, [...digests]);
  }
}
