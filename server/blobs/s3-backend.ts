/**
 * S3-compatible object storage (AWS S3, MinIO, Ceph RGW, R2, ...) through
 * `@aws-sdk/client-s3`. Objects are `<prefix><digest>`; a verified staging
 * file is streamed up with one PutObject (ContentLength set, so nothing is
 * buffered; a single PUT takes up to 5 GiB, far above the file limit), and
 * downloads pass HTTP ranges through to GetObject.
 *
 * The SDK's newer default checksums (CRC32 trailers, aws-chunked bodies) are
 * switched to "when required": many S3-compatible servers do not speak them,
 * and the blob's SHA-256 digest already guards its integrity end to end.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { isBlobDigest } from '../../shared/attachments/format';
import type { S3Config } from '../config';
import { BlobNotFoundError, type BlobBackend, type ByteRange, type StoredBlob } from './backend';


export interface S3BackendConfig extends S3Config {
  /** Keys per list page (default 1000, S3's maximum). */
  listPageSize?: number;
}

function isMissing(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);
}

export class S3BlobBackend implements BlobBackend {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly config: S3BackendConfig) {
    this.client = new S3Client({
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private keyOf(digest: string): string {
    if (!isBlobDigest(digest)) throw new Error('not a blob digest');
    return `${this.config.prefix}${digest}`;
  }

  async commit(digest: string, file: string, size: number): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key: this.keyOf(digest),
        Body: createReadStream(file, { highWaterMark: 256 * 1024 }),
        ContentLength: size,
        ContentType: 'application/octet-stream',
      }),
    );
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(digest), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      if (!(out.Body instanceof Readable)) throw new Error('S3 response body is not a stream');
      return out.Body;
    } catch (err) {
      if (isMissing(err)) throw new BlobNotFoundError(digest);
      throw err;
    }
  }

  async stat(digest: string): Promise<StoredBlob | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(digest) }));
      return { digest, size: out.ContentLength ?? 0, modifiedAt: out.LastModified?.getTime() ?? 0 };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async delete(digest: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.keyOf(digest) }));
  }

  /**
   * ListObjects (v1), paged by Marker = the last key seen: every S3-compatible
   * server implements it alike (v2's opaque continuation tokens are where
   * implementations differ; s3rver's, for one, need a cipher Node 20 lacks).
   */
  async *list(): AsyncIterable<StoredBlob> {
    let after: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListObjectsCommand({ Bucket: this.config.bucket, Prefix: this.config.prefix, Marker: after, MaxKeys: this.config.listPageSize }));
      const items = page.Contents ?? [];
      for (const item of items) {
        const digest = item.Key?.slice(this.config.prefix.length) ?? '';
        if (isBlobDigest(digest)) yield { digest, size: item.Size ?? 0, modifiedAt: item.LastModified?.getTime() ?? 0 };
      }
      if (!page.IsTruncated || items.length === 0) return;
      after = items[items.length - 1]!.Key;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
