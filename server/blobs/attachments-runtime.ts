/**
 * Assembles the attachment side of a server: the backend chosen by config,
 * the token signer, the blob HTTP service on its own port and the cleanup
 * sweep. server.ts starts it beside the TCP listener and closes it on shutdown.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import { blobPortOf, type ServerConfig } from '../config';
import type { Runner } from '../services/runner';
import { cipherSize } from '../../shared/attachments/format';
import type { BlobBackend } from './backend';
import type { BlobIndex } from './blob-index';
import { BlobService } from './blob-service';
import { LocalBlobBackend } from './local-backend';
import { S3BlobBackend } from './s3-backend';
import { StoreBlobIndex } from './store-blob-index';
import { BlobSweeper } from './sweeper';
import { TokenSigner, loadOrCreateTokenSecret } from './tokens';

export const BLOBS_DIR = 'blobs';
export const UPLOADS_DIR = 'uploads';

export function createBackend(config: ServerConfig): BlobBackend {
  if (config.blobStorage === 's3') {
    return new S3BlobBackend(config.s3!);
  }
  return new LocalBlobBackend(join(config.dataDir, BLOBS_DIR));
}

export class AttachmentsRuntime {
  readonly index: BlobIndex;
  readonly tokens: TokenSigner;
  readonly backend: BlobBackend;
  readonly service: BlobService;
  readonly sweeper: BlobSweeper;
  private timer: NodeJS.Timeout | undefined;
  private url = '';

  constructor(
    private readonly config: ServerConfig,
    run: Pick<Runner, 'read' | 'write'>,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.index = new StoreBlobIndex(run);
    this.tokens = new TokenSigner(loadOrCreateTokenSecret(config.dataDir, config.blobTokenSecret));
    this.backend = createBackend(config);
    this.service = new BlobService(
      {
        host: config.blobHost,
        port: blobPortOf(config),
        stagingDir: join(config.dataDir, UPLOADS_DIR),
        uploadExpiryMs: config.blobUnreferencedGraceMs,
        maxBlobSize: cipherSize(config.maxAttachmentBytes),
        quotaBytes: config.blobQuotaBytes,
        transfersPerUser: config.blobTransfersPerUser,
      },
      this.backend,
      this.index,
      this.tokens,
      clock,
      logger,
    );
    this.sweeper = new BlobSweeper(
      this.backend,
      this.index,
      () => this.service.deleteExpiredUploads(),
      { unreferencedGraceMs: config.blobUnreferencedGraceMs, retentionMs: config.blobRetentionMs, batch: 500 },
      clock,
      logger,
    );
  }

  /** The base URL clients are told. */
  get baseUrl(): string {
    return this.url;
  }

  get port(): number {
    return this.service.port;
  }

  async start(): Promise<void> {
    const address = await this.service.listen();
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = (this.config.blobPublicUrl ?? `http://${host}:${address.port}`).replace(/\/+$/, '');
    this.timer = setInterval(() => {
      this.sweeper.sweep().catch((err: unknown) => this.logger.warn({ err }, 'blob sweep failed'));
    }, this.config.blobSweepIntervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.service.close();
    await this.backend.close();
  }
}
