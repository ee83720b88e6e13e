/**
 * When is a commit durable, and what waits for it.
 *
 * Modes:
 * - `group-fsync` (default): SQLite runs with synchronous=NORMAL (no fsync per
 *   commit; checkpoints still sync), and after commits the server fdatasyncs
 *   the WAL file on libuv's thread pool. Answers and pushes that depend on a
 *   commit wait for the sync that started after it. While one sync runs, the
 *   event loop keeps serving and committing, and the next sync covers
 *   everything committed meanwhile: group commit without blocking the loop.
 *   This gives the guarantee of synchronous=FULL (a commit is on disk before
 *   anyone hears of it) at a fraction of the cost.
 * - `full`: synchronous=FULL: SQLite fsyncs inside every commit, on the main
 *   thread. Simple, durable, slower.
 * - `off`: synchronous=NORMAL, no sync before answering: a power failure can
 *   lose acknowledged messages (process crashes cannot). For throwaway servers.
 *
 * Assumes the WAL file keeps its inode while the server's connection is open
 * (SQLite deletes it only when the last connection closes, and truncates it
 * only with journal_size_limit, which the server does not set).
 */
import { fdatasync, openSync, closeSync } from 'node:fs';

export type DurabilityMode = 'group-fsync' | 'full' | 'off';

export function sqliteSynchronousFor(mode: DurabilityMode): 'FULL' | 'NORMAL' {
  return mode === 'full' ? 'FULL' : 'NORMAL';
}

export class Durability {
  /** Outermost commits so far, and how many of them are known durable. */
  private committed = 0;
  private durable = 0;
  private syncing: Promise<void> | undefined;
  private waiting: Array<{ upTo: number; run: () => void; fail: (err: unknown) => void }> = [];
  /**
   * Set by a failed sync, for good: after a failed fsync the kernel may have
   * dropped the unwritten pages, so a later successful sync proves nothing
   * about what came before it. Nothing is acknowledged again; the operator
   * must restart the server (recovery then reads what is really on disk).
   */
  private failure: Error | undefined;
  private fd: number | undefined;
  private closed = false;
  syncs = 0;

  constructor(
    readonly mode: DurabilityMode,
    private readonly walFile: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Called after each outermost commit. */
  noteCommit(): void {
    this.committed++;
    if (this.mode !== 'group-fsync') this.durable = this.committed;
  }

  /**
   * Runs `fn` once everything committed so far is durable (at once if it
   * already is), or `fail` if a sync failed (see `failure`).
   */
  afterDurable(fn: () => void, fail: (err: unknown) => void = () => {}): void {
    if (this.failure && this.mode === 'group-fsync') {
      fail(this.failure);
      return;
    }
    if (this.durable >= this.committed) {
      fn();
      return;
    }
    this.waiting.push({ upTo: this.committed, run: fn, fail });
    this.kick();
  }

  /** undefined when everything committed is durable; else a promise that settles (never rejects) once that is decided. */
  barrier(): Promise<void> | undefined {
    if (this.durable >= this.committed || this.failure) return undefined;
    return new Promise((resolve) => this.afterDurable(resolve, () => resolve()));
  }

  close(): void {
    this.closed = true;
    // The database close that follows checkpoints and syncs; release what waits.
    this.durable = this.committed;
    this.release();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private kick(): void {
    if (this.syncing || this.closed) return;
    const upTo = this.committed;
    this.syncing = this.sync().then(
      () => {
        this.syncs++;
        this.durable = Math.max(this.durable, upTo);
      },
      (err: unknown) => {
        // Without a successful sync nothing may be acknowledged, now or later (see `failure`).
        this.failure = new Error(`WAL sync failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        this.onError(err);
        const failed = this.waiting.splice(0);
        for (const w of failed) w.fail(this.failure);
      },
    );
    void this.syncing.finally(() => {
      this.syncing = undefined;
      this.release();
      if (this.waiting.length > 0 && !this.failure) setImmediate(() => this.kick());
    });
  }

  private release(): void {
    const ready = this.waiting.filter((w) => w.upTo <= this.durable);
    if (ready.length === 0) return;
    this.waiting = this.waiting.filter((w) => w.upTo > this.durable);
    for (const w of ready) w.run();
  }

  private sync(): Promise<void> {
    this.fd ??= openSync(this.walFile, 'r');
    const fd = this.fd;
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }
}
