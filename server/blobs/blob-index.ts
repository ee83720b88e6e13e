/**
 * What the blob service needs to know about blobs, from the server's store
 * (the same database as the messages, so a message and the references to its
 * blobs commit together). Asynchronous, like the rest of the storage interface.
 */

export interface BlobRecord {
  digest: string;
  /** Ciphertext bytes. */
  size: number;
  uploaderId: number;
  createdAt: number;
}

export interface BlobIndex {
  get(digest: string): Promise<BlobRecord | undefined>;
  /** Records a committed blob; recording it again changes nothing. */
  add(record: BlobRecord): Promise<void>;
  /** Bytes of the blobs `userId` uploaded that are still stored (the quota counts these). */
  usage(userId: number): Promise<number>;
  /** Whether `userId` may download the blob: they uploaded it, or a message in one of their conversations refers to it. */
  canRead(userId: number, digest: string): Promise<boolean>;
  /** Blobs created before `before` that no message refers to (never sent, or every message recalled). */
  unreferenced(before: number, limit: number): Promise<string[]>;
  /** Blobs whose newest referring message was sent before `before` (retention). */
  expired(before: number, limit: number): Promise<string[]>;
  remove(digests: readonly string[]): Promise<void>;
}
