/**
 * An open account's attachments: its files on disk, the composer's staging
 * area, the transfers, and the server's limits (from the LoginResponse,
 * remembered for offline use). Created with the account's cache, disposed
 * with it (transfers stop; the composer's unsent files are deleted; files of
 * unsent messages stay, pinned, so their upload resumes at the next start).
 */
import { dirname } from 'node:path';
import type { AttachmentLimits } from '../../../shared/ipc';
import type { Disposable } from '../../../shared/util/disposable';
import { CoreError, toErrorInfo } from '../errors';
import { FileStore } from './file-store';
import { StagingArea } from './staging';
import { blobsOf, type StoredAttachment } from './stored';
import { Transfers, type TransferDeps } from './transfers';

/** Until a server says otherwise (PROTOCOL.md §14.1 defaults). */
export const defaultLimits: AttachmentLimits = { maxFileBytes: 100 * 1024 * 1024, maxPerMessage: 10 };
const LIMITS_META = 'attachmentLimits';

/** What transfers need, less the file store (which this account's attachments open in its own data directory). */
export type AccountAttachmentsDeps = Omit<TransferDeps, 'store'>;

export class AccountAttachments implements Disposable {
  readonly store: FileStore;
  readonly staging: StagingArea;
  readonly transfers: Transfers;
  private limits: AttachmentLimits;

  constructor(private readonly deps: AccountAttachmentsDeps) {
    this.store = new FileStore(dirname(deps.cache.path));
    this.limits = { ...defaultLimits, ...(deps.cache.syncState.getMeta<AttachmentLimits>(LIMITS_META) ?? {}) };
    this.staging = new StagingArea({ store: this.store, limits: () => this.limits });
    this.transfers = new Transfers({ ...deps, store: this.store });
  }

  /** Housekeeping at open: the composer's files of a previous run, files the cache does not know, the size cap. */
  async start(): Promise<void> {
    try {
      await this.store.clearStaging();
      const known = new Set(this.deps.cache.localFiles.all().map((f) => f.digest));
      const removed = await this.store.sweep(known);
      if (removed > 0) this.deps.log.info({ removed }, 'attachments: removed stray files');
      await this.transfers.enforceCacheLimit();
    } catch (err) {
      this.deps.log.warn({ err: toErrorInfo(err) }, 'attachments: housekeeping failed');
    }
  }

  getLimits(): AttachmentLimits {
    return { ...this.limits };
  }

  /** What the server said at login. */
  setLimits(limits: AttachmentLimits): void {
    this.limits = { ...limits };
    this.deps.cache.syncState.setMeta(LIMITS_META, this.limits);
  }

  /**
   * Takes staged files for a new message: moves their encrypted files to
   * their place by digest and records them pinned (never evicted before the
   * message is acknowledged). Returns what the message says of them.
   */
  async prepare(stagingIds: readonly string[]): Promise<StoredAttachment[]> {
    if (stagingIds.length > this.limits.maxPerMessage) {
      throw new CoreError('INVALID_ARGUMENT', `at most ${this.limits.maxPerMessage} files in one message`);
    }
    const taken = this.staging.take(stagingIds);
    for (const t of taken) for (const f of t.files) await this.store.adopt(f.path, f.ref.digest);
    const list = taken.map((t) => t.stored);
    this.deps.cache.transaction(() => {
      for (const ref of blobsOf(list)) this.deps.cache.localFiles.putComplete(ref.digest, ref.cipherSize, true);
    });
    return list;
  }

  /**
   * An unsent message was deleted: its upload stops, and its files go unless
   * another message carries them (a forward shares its original's file; an
   * unsent forward's original stays).
   */
  async forgetUnsent(messageId: string, list: readonly StoredAttachment[]): Promise<void> {
    this.transfers.cancelMessage(messageId);
    for (const ref of blobsOf(list)) {
      if (!this.deps.cache.messages.refersToFile(ref.digest, messageId)) await this.transfers.drop(ref.digest);
    }
  }

  dispose(): void {
    this.transfers.dispose();
    void this.staging.dispose().catch(() => undefined);
  }
}
