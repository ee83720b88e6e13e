/** Attachment blobs: the records the blob service keeps, and who may read them. */
import type { BlobRow } from '../storage/store';
import { readOperation, writeOperation } from './operation';

export const getBlob = readOperation('blobs.get', async ({ tx }, digest: string) => tx.blobs.get(digest));

export const blobUsage = readOperation('blobs.usage', async ({ tx }, userId: number) => tx.blobs.usage(userId));

export const canReadBlob = readOperation('blobs.canRead', async ({ tx }, a: { userId: number; digest: string }) => tx.blobs.canRead(a.userId, a.digest));

export const unreferencedBlobs = readOperation('blobs.unreferenced', async ({ tx }, a: { before: number; limit: number }) => tx.blobs.unreferenced(a.before, a.limit));

export const expiredBlobs = readOperation('blobs.expired', async ({ tx }, a: { before: number; limit: number }) => tx.blobs.expired(a.before, a.limit));

export const addBlob = writeOperation('blobs.add', async ({ tx }, row: BlobRow) => tx.blobs.add(row));

export const removeBlobs = writeOperation('blobs.remove', async ({ tx }, digests: string[]) => tx.blobs.remove(digests));
