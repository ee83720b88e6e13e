/**
 * The embedded backend: one SQLite file (WAL), one connection, operations
 * run one at a time on the thread that owns it.
 *
 * Group commit: operations queued during one turn of the event loop run in
 * one transaction. One failing operation rolls back alone: the batch runs
 * first without savepoints (two statements fewer per operation, and almost
 * every operation succeeds); if one fails, the transaction is rolled back and
 * the batch runs again with a savepoint per operation, as before. Operations
 * depend only on the database, their arguments and `now`, so the second run
 * gives each the outcome it would have had. Reads queued in the same turn run
 * after that commit. Every
 * answer (writes and reads alike) is released only once the commits before
 * it are durable (durability.ts), so nothing a client hears of can vanish
 * in a crash.
 *
 * While an operation awaits (its repository calls resolve at once), no other
 * code touches the connection: every access goes through this queue.
 */
import type { Database, Statement } from 'better-sqlite3';
import { openDatabase } from './db';
import { Durability, sqliteSynchronousFor, type DurabilityMode } from './durability';
import { SqliteCache } from './sqlite-cache';
import { SqliteTx } from './sqlite-repos';
import { diskFullAsUnavailable, type Operation, type ReadOperation, type Store, type StoreStats, type WriteOperation } from './store';

export interface SqliteStoreOptions {
  durability: DurabilityMode;
  /** Write operations per transaction at most (default 2000). */
  maxBatch?: number;
  /** A failed WAL sync: every answer waiting for it fails, and so does every later one until a restart (durability.ts). */
  onSyncError?: (err: unknown) => void;
}

/** How a job's caller hears its outcome: `ok` with the value, or not with the error (once durable, for a success). */
export type JobCallback = (ok: boolean, valueOrError: unknown) => void;

interface Job {
  op?: Operation<unknown, unknown>;
  args?: unknown;
  now: number;
  /** Maintenance that needs the connection between batches (backup). */
  raw?: (db: Database) => unknown;
  done: JobCallback;
  /** Its outcome in this batch: 0 not run (yet), 1 succeeded with `value`, 2 failed with `value` as the error. */
  outcome: 0 | 1 | 2;
  value: unknown;
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  private readonly tx: SqliteTx;
  private readonly stmt: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo' | 'dataVersion', Statement>;
  /** Rows the repositories keep in memory (sqlite-cache.ts); told of every transaction boundary here. */
  readonly cache = new SqliteCache();
  private dataVersion: number;
  private readonly durability: Durability;
  private readonly maxBatch: number;
  private queue: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private counts = { batches: 0, jobs: 0 };
  /** Batches run again with a savepoint per operation because one of them failed. */
  retriedBatches = 0;

  constructor(
    readonly db: Database,
    options: SqliteStoreOptions,
  ) {
    this.tx = new SqliteTx(db, this.cache);
    this.stmt = {
      // IMMEDIATE: the write lock is taken at once, so no other connection (the admin CLI) can commit between the
      // data_version check below and this transaction's reads.
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT op'),
      release: db.prepare('RELEASE op'),
      rollbackTo: db.prepare('ROLLBACK TO op'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
    this.dataVersion = this.stmt.dataVersion.get() as number;
    this.maxBatch = options.maxBatch ?? 2000;
    this.durability = new Durability(options.durability, `${db.name}-wal`, options.onSyncError);
  }

  /** Opens (creating and migrating) the database file with the pragmas `durability` needs. */
  static open(file: string, options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(openDatabase(file, { synchronous: sqliteSynchronousFor(options.durability) }), options);
  }

  write<A, R>(op: WriteOperation<A, R>, args: A, now: number): Promise<R> {
    return this.promised(op, args, now) as Promise<R>;
  }

  read<A, R>(op: ReadOperation<A, R>, args: A, now: number): Promise<R> {
    return this.promised(op, args, now) as Promise<R>;
  }

  /**
   * `write` or `read` without a promise: `done` is called as the promise would settle (the SQLite worker's
   * entry, which answers through its own channel and would only pay for a promise and its reactions).
   */
  submit(op: Operation<unknown, unknown>, args: unknown, now: number, done: JobCallback): void {
    this.enqueue(op, args, now, undefined, done);
  }

  /** A consistent, compacted copy of the database (VACUUM INTO), taken between batches. */
  backup(file: string): Promise<void> {
    return this.promised(undefined, undefined, 0, (db) => void db.prepare('VACUUM INTO ?').run(file)) as Promise<void>;
  }

  stats(): StoreStats {
    return { ...this.counts, syncs: this.durability.syncs };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    await this.running;
    while (this.queue.length > 0) await this.runBatch(this.queue.splice(0, this.maxBatch));
    await this.durability.barrier();
    this.durability.close();
    if (this.db.open) this.db.close();
  }

  private promised(op: Operation<unknown, unknown> | undefined, args: unknown, now: number, raw?: (db: Database) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => this.enqueue(op, args, now, raw, (ok, value) => (ok ? resolve(value) : reject(value))));
  }

  private enqueue(op: Operation<unknown, unknown> | undefined, args: unknown, now: number, raw: ((db: Database) => unknown) | undefined, done: JobCallback): void {
    if (this.closed) {
      done(false, new Error('store closed'));
      return;
    }
    this.queue.push({ op, args, now, raw, done, outcome: 0, value: undefined });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.closed) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.running = this.runBatch(this.queue.splice(0, this.maxBatch)).finally(() => {
        this.running = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    });
  }

  /** Another connection committed since we last looked: what the cache holds may be stale. */
  private checkOtherWriters(): void {
    const version = this.stmt.dataVersion.get() as number;
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    this.cache.clear();
  }

  private async runBatch(jobs: Job[]): Promise<void> {
    this.checkOtherWriters();
    const writes: Job[] = [];
    const others: Job[] = [];
    for (const job of jobs) (job.op?.kind === 'write' ? writes : others).push(job);
    if (writes.length > 0) await this.commitWrites(writes);
    for (const job of others) {
      try {
        succeed(job, job.raw ? job.raw(this.db) : await job.op!.run(this.tx, job.args, job.now));
      } catch (error) {
        failed(job, error);
      }
    }
    // Failures may be told at once; results wait until what they rest on is on disk.
    let succeeded = 0;
    for (const job of jobs) {
      if (job.outcome === 1) succeeded++;
      else job.done(false, diskFullAsUnavailable(job.value));
    }
    if (succeeded === 0) return;
    this.durability.afterDurable(
      () => {
        for (const job of jobs) if (job.outcome === 1) job.done(true, job.value);
      },
      (err) => {
        // A failed WAL sync: nothing is acknowledged.
        for (const job of jobs) if (job.outcome === 1) job.done(false, diskFullAsUnavailable(err));
      },
    );
  }

  /** One transaction for the batch: first without savepoints, again with one per operation if an operation failed. */
  private async commitWrites(writes: Job[]): Promise<void> {
    try {
      const failed = await this.runWrites(writes, false);
      if (failed) {
        this.retriedBatches++;
        await this.runWrites(writes, true);
      }
    } catch (error) {
      for (const job of writes) failed(job, error);
      return;
    }
    this.counts.batches++;
    // Operations committed (one that failed rolled back to its savepoint), as PostgreSQL counts them.
    for (const job of writes) if (job.outcome === 1) this.counts.jobs++;
    this.durability.noteCommit();
  }

  /**
   * Runs the writes in one transaction and commits it. Without savepoints, the first failing operation rolls
   * the transaction back and the answer is true (nothing committed: run again with them). With savepoints, a
   * failing operation rolls back alone. Throws if the transaction as a whole failed (nothing of it stands).
   */
  private async runWrites(writes: Job[], savepoints: boolean): Promise<boolean> {
    const { db, stmt, cache } = this;
    try {
      stmt.begin.run();
      this.checkOtherWriters();
      cache.begin();
      for (const job of writes) {
        const mark = cache.mark();
        if (savepoints) stmt.savepoint.run();
        try {
          const value = await job.op!.run(this.tx, job.args, job.now);
          if (savepoints) stmt.release.run();
          succeed(job, value);
        } catch (error) {
          // SQLite may have rolled the whole transaction back (disk full, I/O error): then nothing of the batch stands.
          if (!db.inTransaction) throw error;
          if (!savepoints) {
            stmt.rollback.run();
            cache.rollback();
            for (const w of writes) w.outcome = 0;
            return true;
          }
          stmt.rollbackTo.run();
          stmt.release.run();
          cache.rollbackTo(mark);
          failed(job, error);
        }
      }
      stmt.commit.run();
      cache.commit();
      return false;
    } catch (error) {
      if (db.inTransaction) stmt.rollback.run();
      cache.rollback();
      throw error;
    }
  }
}

function succeed(job: Job, value: unknown): void {
  job.outcome = 1;
  job.value = value;
}

function failed(job: Job, error: unknown): void {
  job.outcome = 2;
  job.value = error;
}
