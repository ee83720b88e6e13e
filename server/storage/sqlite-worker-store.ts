/**
 * The embedded store with SQLite on its own thread (the default): the
 * connection, every operation, the group commit and the WAL syncs run in
 * sqlite-worker.ts; the event loop only posts operation names with their
 * arguments and receives results, both batched per turn (the hot operations
 * as one binary stream each way, worker-channel.ts). A write still
 * resolves only once its commit is durable (the worker answers after the
 * sync), so acks keep their meaning.
 *
 * Reads run on the worker too, in the same queue as the writes: they see
 * every write committed before them, and their answers wait for those
 * commits to be durable, exactly as on one thread.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DurabilityMode } from './durability';
import type { ReadOperation, Store, StoreStats, WriteOperation } from './store';
import { ByteReader, ByteWriter, hotCodecOf, readResult, STRUCTURED, writeJob } from './worker-channel';
import { fromWire, unpackPayloads, type FromWorker, type Job, type Result, type ToWorker, type WireError, type WorkerInit } from './worker-protocol';

export interface SqliteWorkerStoreOptions {
  durability: DurabilityMode;
  maxBatch?: number;
  onSyncError?: (err: unknown) => void;
  /** The worker stopped unexpectedly: the store is gone (the server should stop). */
  onFatal?: (err: unknown) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The worker's entry: sqlite-worker.ts from sources (tsx, Vitest), .js in a compiled build; loaded through a CommonJS shim (see it). */
function workerEntry(): { boot: URL; entry: string } {
  const fromSources = import.meta.url.endsWith('.ts');
  return {
    boot: new URL('./sqlite-worker-boot.cjs', import.meta.url),
    entry: fileURLToPath(new URL(fromSources ? './sqlite-worker.ts' : './sqlite-worker.js', import.meta.url)),
  };
}

export class SqliteWorkerStore implements Store {
  readonly backend = 'sqlite' as const;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private batch: Job[] = [];
  /** This turn's jobs in submission order: hot ones encoded, a tag for each one in `batch`. */
  private stream = new ByteWriter();
  private hot = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private counts: StoreStats = { batches: 0, jobs: 0, syncs: 0 };
  private closing: Promise<void> | undefined;
  private gone: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly options: SqliteWorkerStoreOptions,
  ) {
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`the SQLite worker exited (code ${code})`)));
  }

  /** Starts the worker, which opens (creating and migrating) the database; rejects if it cannot. */
  static open(file: string, options: SqliteWorkerStoreOptions): Promise<SqliteWorkerStore> {
    const { boot, entry } = workerEntry();
    const init: WorkerInit = { entry, file, durability: options.durability, maxBatch: options.maxBatch };
    const worker = new Worker(boot, { workerData: init, name: 'tern-sqlite' });
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the SQLite worker exited while opening (code ${code})`));
      const onMessage = (message: FromWorker) => {
        if (message.type === 'failed') {
          worker.off('exit', onExit);
          reject(fromWire(message.error));
          void worker.terminate();
        } else if (message.type === 'ready') {
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          worker.off('error', reject);
          resolve(new SqliteWorkerStore(worker, options));
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', onExit);
    });
  }

  write<A, R>(op: WriteOperation<A, R>, args: A, now: number): Promise<R> {
    return this.submit('write', op.name, args, now) as Promise<R>;
  }

  read<A, R>(op: ReadOperation<A, R>, args: A, now: number): Promise<R> {
    return this.submit('read', op.name, args, now) as Promise<R>;
  }

  /** A consistent, compacted copy of the database (VACUUM INTO on the worker, between batches). */
  backup(file: string): Promise<void> {
    return this.call((id) => ({ type: 'backup', id, file })) as Promise<void>;
  }

  stats(): StoreStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.gone) return;
    this.flush();
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (m: FromWorker) => m.type === 'closed' && resolve());
      this.worker.once('exit', () => resolve());
    });
    this.post({ type: 'close' });
    await closed;
    this.gone = new Error('store closed');
    await this.worker.terminate();
  }

  private submit(kind: Job['kind'], name: string, args: unknown, now: number): Promise<unknown> {
    if (this.closing || this.gone) return Promise.reject(this.gone ?? new Error('store closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      if (kind === 'write' && writeJob(this.stream, name, id, now, args)) this.hot++;
      else {
        this.batch.push({ id, kind, name, args, now });
        this.stream.u8(STRUCTURED);
      }
      // One message per turn carries everything submitted in it: the worker commits it as one batch.
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  private call(message: (id: number) => ToWorker): Promise<unknown> {
    if (this.closing || this.gone) return Promise.reject(this.gone ?? new Error('store closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.flush();
      this.post(message(id));
    });
  }

  private flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.batch.length === 0 && this.hot === 0) return;
    const jobs = this.batch;
    this.batch = [];
    if (this.hot === 0) {
      this.stream.at = 0;
      this.post({ type: 'jobs', jobs });
      return;
    }
    this.hot = 0;
    const stream = this.stream.take();
    this.worker.postMessage({ type: 'jobs', jobs, stream } satisfies ToWorker, [stream.buffer]);
  }

  private post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'results':
        this.counts = message.stats;
        if (message.payloads) unpackPayloads(message.results, message.payloads);
        if (message.stream) this.settleStream(message.results, message.stream);
        else for (const result of message.results) this.settle(result);
        break;
      case 'stats':
        this.counts = message.stats;
        break;
      case 'syncError':
        this.options.onSyncError?.(fromWire(message.error as WireError));
        break;
      default:
        break;
    }
  }

  private settle(result: Result): void {
    const waiter = this.pending.get(result.id);
    if (!waiter) return;
    this.pending.delete(result.id);
    if (result.ok) waiter.resolve(result.value);
    else waiter.reject(fromWire(result.error));
  }

  /** The results in the worker's order: the stream's entries, each tag 0 standing for the next listed result. */
  private settleStream(results: Result[], bytes: Uint8Array): void {
    const r = new ByteReader(bytes);
    let next = 0;
    while (!r.done) {
      const tag = r.u8();
      if (tag === STRUCTURED) {
        this.settle(results[next++]!);
        continue;
      }
      const codec = hotCodecOf(tag);
      const id = r.f64();
      const value = readResult(r, codec);
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      this.pending.delete(id);
      waiter.resolve(value);
    }
  }

  /** The worker died: nothing pending will be answered by it. */
  private fail(err: Error): void {
    if (this.gone) return;
    this.gone = err;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
    if (!this.closing) this.options.onFatal?.(err);
  }
}
