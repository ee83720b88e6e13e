/**
 * The blob HTTP service, on its own port beside the TCP protocol port.
 *
 *   POST /v1/uploads             tus creation (Upload-Length, Upload-Metadata "digest <base64 hex>")
 *   HEAD|PATCH /v1/uploads/<id>  tus offset query and append; <id> = <user id>-<digest>
 *   GET|HEAD /v1/blobs/<digest>  download, with HTTP ranges
 *
 * Every request carries `Authorization: Bearer <token>` (tokens.ts), issued
 * over the protocol and scoped to one user, one blob and one direction.
 * Uploads land in a tus staging directory (`<data>/uploads`); when the last
 * byte arrived, the size and SHA-256 are checked against the token, the
 * backend takes the file, and only then is the blob recorded (and the final
 * PATCH answered): a failed check or a full disk answers an error and records
 * nothing. Errors are JSON `{ "error": code, "message": text }` (codes in
 * docs/PROTOCOL.md §14).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Server as TusServer } from '@tus/server';
import type { Logger } from 'pino';
import { isBlobDigest } from '../../shared/attachments/format';
import type { Clock } from '../clock';
import { BlobNotFoundError, type BlobBackend, type ByteRange } from './backend';
import type { BlobIndex } from './blob-index';
import { StagingStore } from './staging-store';
import { TransferLimiter } from './transfer-limiter';
import type { TokenSigner, TransferGrant, TransferOp } from './tokens';

export const UPLOADS_PATH = '/v1/uploads';
export const BLOBS_PATH = '/v1/blobs';

export interface BlobServiceOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Where tus keeps unfinished uploads. */
  stagingDir: string;
  /** Unfinished uploads older than this are removed by the sweep. */
  uploadExpiryMs: number;
  /** Largest ciphertext accepted. */
  maxBlobSize: number;
  quotaBytes: number;
  transfersPerUser: number;
}

/** An HTTP error with a stable machine-readable code. */
export class BlobHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The shape @tus/server sends for errors thrown from its hooks. */
  forTus(): { status_code: number; body: string } {
    return { status_code: this.status, body: errorBody(this.code, this.message) };
  }
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: code, message }) + '\n';
}

/** Whether an error means the disk (or the staging area's file system) is full. */
function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function uploadIdOf(userId: number, digest: string): string {
  return `${userId}-${digest}`;
}

function parseUploadId(id: string): { userId: number; digest: string } | undefined {
  const m = /^([1-9]\d{0,15})-([0-9a-f]{64})$/.exec(id);
  return m ? { userId: Number(m[1]), digest: m[2]! } : undefined;
}

/** Parses a single `bytes=` range against a size; undefined for no/ignored Range, 'unsatisfiable' when out of bounds. */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multi-range or malformed: serve the whole blob (RFC 9110 allows ignoring)
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export class BlobService {
  private readonly http: Server;
  private readonly tus: TusServer;
  private readonly staging: StagingStore;
  private readonly limiter: TransferLimiter;
  private address: AddressInfo | undefined;

  constructor(
    private readonly options: BlobServiceOptions,
    private readonly backend: BlobBackend,
    private readonly index: BlobIndex,
    private readonly tokens: TokenSigner,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.limiter = new TransferLimiter(options.transfersPerUser);
    this.staging = new StagingStore({ directory: options.stagingDir, expirationPeriodInMilliseconds: options.uploadExpiryMs });
    this.tus = new TusServer({
      path: UPLOADS_PATH,
      datastore: this.staging,
      relativeLocation: true,
      maxSize: options.maxBlobSize,
      namingFunction: (req) => {
        const grant = this.grantFrom(req.headers.get('authorization'), 'up');
        return uploadIdOf(grant.userId, grant.digest);
      },
      onIncomingRequest: async (req, id) => this.checkUploadRequest(req, id),
      onUploadCreate: async (_req, upload) => {
        const target = parseUploadId(upload.id)!;
        if (upload.size === undefined) throw new BlobHttpError(400, 'length-required', 'Upload-Length is required').forTus();
        return { metadata: { ...upload.metadata, digest: target.digest, user: String(target.userId) } };
      },
      onUploadFinish: async (_req, upload) => {
        await this.finishUpload(upload.id, upload.size ?? 0);
        return {};
      },
      onResponseError: (_req, err) => {
        if (err instanceof BlobHttpError) return err.forTus();
        if (isDiskFull(err)) {
          this.logger.error({ err }, 'upload failed: storage full');
          return new BlobHttpError(507, 'storage-full', 'the server is out of storage space; nothing was stored').forTus();
        }
        if ('status_code' in err) return undefined;
        this.logger.error({ err }, 'upload failed');
        return new BlobHttpError(500, 'internal', 'upload failed on the server').forTus();
      },
    });
    this.http = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => this.fail(res, err));
    });
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen({ host: this.options.host, port: this.options.port }, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.address = this.http.address() as AddressInfo;
    return this.address;
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  /** Removes unfinished uploads past their expiry; returns how many. */
  async deleteExpiredUploads(): Promise<number> {
    return this.staging.deleteExpired();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (path === UPLOADS_PATH || path.startsWith(`${UPLOADS_PATH}/`)) {
      if (req.method === 'PATCH') {
        // Appends count against the user's concurrent transfers; creation and offset queries are cheap.
        const grant = this.grantFrom(req.headers.authorization, 'up');
        return this.limited(grant.userId, res, () => this.tus.handle(req, res));
      }
      return this.tus.handle(req, res);
    }
    if (path.startsWith(`${BLOBS_PATH}/`) && (req.method === 'GET' || req.method === 'HEAD')) {
      const digest = path.slice(BLOBS_PATH.length + 1);
      if (!isBlobDigest(digest)) throw new BlobHttpError(404, 'not-found', 'no such blob');
      const grant = this.grantFrom(req.headers.authorization, 'down');
      if (grant.digest !== digest) throw new BlobHttpError(403, 'token-scope', 'the token is for another blob');
      if (req.method === 'HEAD') return this.download(req, res, digest);
      return this.limited(grant.userId, res, () => this.download(req, res, digest));
    }
    throw new BlobHttpError(404, 'not-found', 'no such resource');
  }

  /** Runs a transfer inside the user's concurrency limit; 429 with Retry-After when the user has too many running. */
  private async limited(userId: number, res: ServerResponse, run: () => Promise<void>): Promise<void> {
    const release = this.limiter.tryAcquire(userId);
    if (!release) throw new BlobHttpError(429, 'too-many-transfers', `at most ${this.options.transfersPerUser} transfers at once per user`, { 'Retry-After': '1' });
    res.once('close', release);
    await run();
  }

  private async download(req: IncomingMessage, res: ServerResponse, digest: string): Promise<void> {
    const record = await this.index.get(digest);
    if (!record) throw new BlobHttpError(404, 'not-found', 'no such blob');
    const range = parseRange(req.headers.range, record.size);
    if (range === 'unsatisfiable') throw new BlobHttpError(416, 'range-not-satisfiable', 'range outside the blob', { 'Content-Range': `bytes */${record.size}` });
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: `"${digest}"`,
      'Cache-Control': 'private, max-age=31536000, immutable',
      'Content-Length': range ? range.end - range.start + 1 : record.size,
    };
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${record.size}`;
    if (req.method === 'HEAD') {
      res.writeHead(range ? 206 : 200, headers).end();
      return;
    }
    let body;
    try {
      body = await this.backend.read(digest, range);
    } catch (err) {
      if (err instanceof BlobNotFoundError) throw new BlobHttpError(404, 'not-found', 'no such blob');
      throw err;
    }
    res.writeHead(range ? 206 : 200, headers);
    try {
      await pipeline(body, res);
    } catch (err) {
      // The client went away, or the backend failed mid-stream: the connection is already cut short.
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') this.logger.warn({ err }, 'download cut short');
    }
  }

  /** Verifies the bearer token of a request for one direction. */
  private grantFrom(authorization: string | null | undefined, op: TransferOp): TransferGrant {
    const m = /^Bearer ([A-Za-z0-9._-]{1,1024})$/.exec(authorization ?? '');
    if (!m) throw new BlobHttpError(401, 'token-missing', 'Authorization: Bearer <token> is required');
    const grant = this.tokens.verify(m[1]!, this.clock.now());
    if (grant === 'expired') throw new BlobHttpError(401, 'token-expired', 'the transfer token expired; ask for a new one');
    if (typeof grant === 'string') throw new BlobHttpError(401, 'token-invalid', 'the transfer token is not valid');
    if (grant.op !== op) throw new BlobHttpError(403, 'token-scope', `the token does not allow ${op === 'up' ? 'uploads' : 'downloads'}`);
    return grant;
  }

  /** Every tus request: a valid upload token for this very upload (user and digest), within the quota. */
  private async checkUploadRequest(req: Request, id: string): Promise<void> {
    try {
      const grant = this.grantFrom(req.headers.get('authorization'), 'up');
      const target = parseUploadId(id);
      if (!target || target.userId !== grant.userId || target.digest !== grant.digest) throw new BlobHttpError(403, 'token-scope', 'the token is for another upload');
      if (req.method === 'POST') {
        const length = Number(req.headers.get('upload-length'));
        if (length !== grant.size) throw new BlobHttpError(422, 'size-mismatch', `Upload-Length ${length} is not the size the token was issued for`);
        if (await this.index.get(grant.digest)) throw new BlobHttpError(409, 'already-stored', 'this blob is already stored');
        const used = await this.index.usage(grant.userId);
        if (used + grant.size > this.options.quotaBytes) throw new BlobHttpError(403, 'quota-exceeded', 'the storage quota is used up');
      }
    } catch (err) {
      if (err instanceof BlobHttpError) throw err.forTus();
      throw err;
    }
  }

  /** The last byte arrived: check size and digest, hand the file to the backend, record the blob. */
  private async finishUpload(id: string, size: number): Promise<void> {
    const target = parseUploadId(id)!;
    const file = join(this.options.stagingDir, id);
    try {
      const digest = createHash('sha256');
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), digest);
      if (digest.digest('hex') !== target.digest) throw new BlobHttpError(422, 'digest-mismatch', 'the uploaded bytes do not have the digest they were announced with; nothing was stored');
      await this.backend.commit(target.digest, file, size);
      await this.index.add({ digest: target.digest, size, uploaderId: target.userId, createdAt: this.clock.now() });
    } catch (err) {
      await this.staging.remove(id).catch(() => undefined);
      if (err instanceof BlobHttpError) throw err.forTus();
      if (isDiskFull(err)) throw new BlobHttpError(507, 'storage-full', 'the server is out of storage space; nothing was stored').forTus();
      this.logger.error({ err }, 'storing an upload failed');
      throw new BlobHttpError(500, 'internal', 'storing the upload failed; nothing was stored').forTus();
    }
    await this.staging.remove(id).catch(() => undefined); // the file moved into the backend (or was copied): drop what is left
  }

  private fail(res: ServerResponse, err: unknown): void {
    const error =
      err instanceof BlobHttpError
        ? err
        : isDiskFull(err)
          ? new BlobHttpError(507, 'storage-full', 'the server is out of storage space')
          : new BlobHttpError(500, 'internal', 'internal error');
    if (!(err instanceof BlobHttpError)) this.logger.error({ err }, 'blob request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(error.status, { 'Content-Type': 'application/json', ...error.headers }).end(errorBody(error.code, error.message));
  }
}
