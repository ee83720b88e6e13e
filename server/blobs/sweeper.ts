/**
 * Periodic cleanup of the blob store:
 *  - unfinished uploads older than their expiry (the tus staging area);
 *  - blobs no message refers to, once the grace period after their upload is
 *    over (uploaded but never sent, or every message carrying them recalled);
 *  - blobs past the retention period, when one is set;
 *  - objects in the backend with no record (a crash between storing the file
 *    and recording it), older than the grace period.
 * Each pass is bounded, so a large backlog is worked off over several passes.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { BlobBackend } from './backend';
import type { BlobIndex } from './blob-index';

export interface SweepOptions {
  unreferencedGraceMs: number;
  /** 0 = keep for ever. */
  retentionMs: number;
  batch: number;
}

export interface SweepResult {
  uploads: number;
  unreferenced: number;
  expired: number;
  orphans: number;
}

export class BlobSweeper {
  private running: Promise<SweepResult> | undefined;

  constructor(
    private readonly backend: BlobBackend,
    private readonly index: BlobIndex,
    private readonly deleteExpiredUploads: () => Promise<number>,
    private readonly options: SweepOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** One pass; concurrent calls share the pass in progress. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<SweepResult> {
    const now = this.clock.now();
    const result: SweepResult = { uploads: 0, unreferenced: 0, expired: 0, orphans: 0 };
    result.uploads = await this.deleteExpiredUploads();
    const unreferenced = await this.index.unreferenced(now - this.options.unreferencedGraceMs, this.options.batch);
    result.unreferenced = await this.removeBlobs(unreferenced);
    if (this.options.retentionMs > 0) {
      result.expired = await this.removeBlobs(await this.index.expired(now - this.options.retentionMs, this.options.batch));
    }
    let seen = 0;
    for await (const stored of this.backend.list()) {
      if (++seen > this.options.batch * 10) break;
      if (stored.modifiedAt > now - this.options.unreferencedGraceMs) continue;
      if (await this.index.get(stored.digest)) continue;
      await this.backend.delete(stored.digest);
      result.orphans++;
    }
    if (result.uploads + result.unreferenced + result.expired + result.orphans > 0) this.logger.info(result, 'blob sweep');
    return result;
  }

  /** The record goes first: a blob with no record is an orphan the next pass removes, never a record without a file. */
  private async removeBlobs(digests: string[]): Promise<number> {
    if (digests.length === 0) return 0;
    await this.index.remove(digests);
    for (const digest of digests) await this.backend.delete(digest);
    return digests.length;
  }
}
