/**
 * Attachments on the protocol side: transfer tokens for the blob HTTP service
 * (BLOB_UPLOAD_AUTH / BLOB_DOWNLOAD_AUTH), and the checks a message's
 * attachments must pass before it is stored (docs/PROTOCOL.md §14).
 */
import { create } from '@bufbuild/protobuf';
import {
  AttachmentKind,
  BlobDownloadAuthSchema,
  BlobUploadAuthSchema,
  ResultCode,
  type Attachment,
  type BlobDownloadAuth,
  type BlobDownloadAuthRequest,
  type BlobRef,
  type BlobUploadAuth,
  type BlobUploadAuthRequest,
} from '../../shared/protocol';
import { FILE_KEY_SIZE, cipherSize, isBlobDigest } from '../../shared/attachments/format';
import { checkFileName } from '../../shared/attachments/names';
import type { BlobIndex } from '../blobs/blob-index';
import type { TokenSigner } from '../blobs/tokens';
import { UPLOADS_PATH, BLOBS_PATH } from '../blobs/blob-service';
import type { Caller, ServiceDeps } from './deps';
import { fail, invalid } from './errors';
import { big, toNumber } from './validate';

const MAX_THUMBHASH = 64;
const MAX_DIMENSION = 1_000_000;
/** Thumbnails are small previews; a larger "thumbnail" is refused. */
const MAX_THUMBNAIL_PLAIN = 1024 * 1024;

export class AttachmentService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly index: BlobIndex,
    private readonly tokens: TokenSigner,
    /** The blob service's base URL as clients reach it, no trailing slash. */
    private readonly baseUrl: () => string,
  ) {}

  private enabled(): void {
    if (this.deps.config.maxAttachmentBytes === 0) throw fail(ResultCode.PERMISSION_DENIED, 'attachments are turned off on this server');
  }

  async uploadAuth(caller: Caller, req: BlobUploadAuthRequest): Promise<BlobUploadAuth> {
    this.enabled();
    const { config, clock } = this.deps;
    if (!isBlobDigest(req.digest)) throw invalid('digest', 'digest must be 64 lower-case hex characters');
    const plain = toNumber('plain_size', req.plainSize);
    const size = toNumber('cipher_size', req.cipherSize);
    if (plain > config.maxAttachmentBytes) throw fail(ResultCode.FILE_TOO_LARGE, `files may have at most ${config.maxAttachmentBytes} bytes`);
    if (size !== cipherSize(plain)) throw invalid('cipher_size', 'cipher_size does not match plain_size');
    const base = this.baseUrl();
    const resumeUrl = `${base}${UPLOADS_PATH}/${caller.userId}-${req.digest}`;
    const expiresAt = clock.now() + config.blobTokenTtlMs;
    if (await this.index.get(req.digest)) {
      return create(BlobUploadAuthSchema, { uploadUrl: `${base}${UPLOADS_PATH}`, resumeUrl, alreadyStored: true, expiresAt: big(expiresAt) });
    }
    if ((await this.index.usage(caller.userId)) + size > config.blobQuotaBytes) throw fail(ResultCode.QUOTA_EXCEEDED, 'the storage quota for attachments is used up');
    const token = this.tokens.sign({ userId: caller.userId, digest: req.digest, op: 'up', size, expiresAt });
    return create(BlobUploadAuthSchema, { token, uploadUrl: `${base}${UPLOADS_PATH}`, resumeUrl, expiresAt: big(expiresAt) });
  }

  async downloadAuth(caller: Caller, req: BlobDownloadAuthRequest): Promise<BlobDownloadAuth> {
    const { config, clock } = this.deps;
    if (!isBlobDigest(req.digest)) throw invalid('digest', 'digest must be 64 lower-case hex characters');
    const record = await this.index.get(req.digest);
    // Someone else's blob is "not found", as is a missing one: a token holder learns nothing about blobs they cannot read.
    if (!record || !(await this.index.canRead(caller.userId, req.digest))) throw fail(ResultCode.NOT_FOUND, 'no such attachment');
    const expiresAt = clock.now() + config.blobTokenTtlMs;
    const token = this.tokens.sign({ userId: caller.userId, digest: req.digest, op: 'down', size: 0, expiresAt });
    return create(BlobDownloadAuthSchema, { token, url: `${this.baseUrl()}${BLOBS_PATH}/${req.digest}`, cipherSize: big(record.size), expiresAt: big(expiresAt) });
  }

  /**
   * Checks a message's attachments and returns the digests they refer to.
   * Each blob must be stored, and the sender must be allowed to read it (they
   * uploaded it, or forward one they received).
   */
  async check(caller: Caller, attachments: readonly Attachment[]): Promise<string[]> {
    if (attachments.length === 0) return [];
    this.enabled();
    const { config } = this.deps;
    if (attachments.length > config.maxAttachmentsPerMessage) throw invalid('attachments', `at most ${config.maxAttachmentsPerMessage} attachments per message`);
    const digests = new Set<string>();
    for (const a of attachments) {
      if (a.kind !== AttachmentKind.IMAGE && a.kind !== AttachmentKind.FILE) throw invalid('attachments.kind', 'unknown attachment kind');
      const size = toNumber('attachments.size', a.size);
      if (size > config.maxAttachmentBytes) throw fail(ResultCode.FILE_TOO_LARGE, `files may have at most ${config.maxAttachmentBytes} bytes`);
      checkBlobRef('attachments.blob', a.blob, size);
      digests.add(a.blob!.digest);
      const nameProblem = checkFileName(a.name);
      if (nameProblem) throw invalid('attachments.name', nameProblem);
      if (a.mime.length > 127 || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(a.mime)) throw invalid('attachments.mime', 'mime must be a media type');
      if (a.width > MAX_DIMENSION || a.height > MAX_DIMENSION) throw invalid('attachments.width', 'dimensions out of range');
      if (a.thumbhash.length > MAX_THUMBHASH) throw invalid('attachments.thumbhash', `thumbhash has at most ${MAX_THUMBHASH} bytes`);
      if (a.thumbnail) {
        checkBlobRef('attachments.thumbnail', a.thumbnail);
        if (a.thumbnail.cipherSize > BigInt(cipherSize(MAX_THUMBNAIL_PLAIN))) throw invalid('attachments.thumbnail', 'thumbnail too large');
        digests.add(a.thumbnail.digest);
      }
    }
    for (const digest of digests) {
      const record = await this.index.get(digest);
      if (!record) throw fail(ResultCode.BLOB_NOT_UPLOADED, 'an attachment was not uploaded');
      if (!(await this.index.canRead(caller.userId, digest))) throw fail(ResultCode.BLOB_NOT_UPLOADED, 'an attachment was not uploaded');
    }
    return [...digests];
  }
}

function checkBlobRef(field: string, ref: BlobRef | undefined, plainSize?: number): void {
  if (!ref) throw invalid(field, `${field} is required`);
  if (!isBlobDigest(ref.digest)) throw invalid(`${field}.digest`, 'digest must be 64 lower-case hex characters');
  if (ref.key.length !== FILE_KEY_SIZE) throw invalid(`${field}.key`, `key must be ${FILE_KEY_SIZE} bytes`);
  if (plainSize !== undefined && ref.cipherSize !== BigInt(cipherSize(plainSize))) throw invalid(`${field}.cipher_size`, 'cipher_size does not match size');
}
