/**
 * The PostgreSQL backend, for clusters: every gateway node runs operations
 * against one database.
 *
 * - A write operation runs in a transaction on a pooled connection (BEGIN,
 *   the operation, COMMIT) and resolves after COMMIT returns, which with
 *   PostgreSQL's default `synchronous_commit = on` means the commit is in the
 *   WAL on disk. Unrelated writes are separate, concurrent transactions
 *   (PostgreSQL flushes commits that arrive together once).
 * - Writes that contend for the same rows (sends to one conversation: they
 *   all take its sequence, whose row lock holds until COMMIT) share a batch
 *   key. They queue in a lane and run one batch at a time, all in one
 *   transaction: one commit for many sends, and the pool is not filled with
 *   transactions waiting on one row lock. A send that fails is taken out and
 *   the rest run again (see runBatch).
 * - Conflicts between concurrent operations (deadlock, serialization
 *   failure, a unique key another transaction took first) roll back and run
 *   the operation again, a few times: each run re-reads, so the retry sees
 *   the winner (a resent message then finds its original).
 * - When the database cannot be reached (restarting, connection lost, pool
 *   exhausted) the call fails with StoreUnavailableError, which clients get
 *   as the retryable UNAVAILABLE. A connection lost during COMMIT leaves the
 *   outcome unknown: the client is not acknowledged and retries; the send is
 *   de-duplicated by its client id, so it is stored once either way.
 * - Reads run on a pooled connection outside a transaction. What a read sees
 *   is committed, and a committed transaction is durable, so any answer built
 *   from it may be given at once.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { migratePostgres } from './postgres-migrations';
import { ConversationCache, PgTx } from './postgres-repos';
import { isDiskFull, StoreUnavailableError, type ReadOperation, type Store, type StoreStats, type WriteOperation } from './store';

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Writes of one batch key per transaction at most (default 500). */
  maxBatch?: number;
  /** How long a call waits for a connection before failing as unavailable (default 30 s: at saturation calls queue for the pool; a database that is down refuses at once). */
  connectTimeoutMs?: number;
  logger?: Pick<Logger, 'warn'>;
}

/** int8 (bigint) columns as numbers: ids, sequences and times stay below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/** Conflicts a rerun of the operation resolves: serialization failure, deadlock, unique violation. */
const RETRY = new Set(['40001', '40P01', '23505']);
const ATTEMPTS = 4;
const isConflict = (err: unknown) => RETRY.has((err as { code?: string } | undefined)?.code ?? '');

interface Job {
  op: WriteOperation<unknown, unknown>;
  args: unknown;
  now: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The database is not there (or not yet, or no longer): errors that say nothing about the operation. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now (starting, recovering); 53300: too many connections.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
    if (isDiskFull(err)) return true; // 53100: the database's disk is full (the transaction was rolled back)
    if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT...
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(err.message);
}

function unavailable(err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`database unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err, diskFull: isDiskFull(err) });
}

export class PostgresStore implements Store {
  readonly backend = 'postgres' as const;
  private readonly txs = new WeakMap<pg.PoolClient, PgTx>();
  /** Conversation rows every connection of this store has seen committed (postgres-repos.ts). */
  private readonly conversations = new ConversationCache();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Writes queued per batch key (store.ts WriteOperation.batchKey), each lane drained by one transaction at a time. */
  private readonly lanes = new Map<string, Job[]>();
  private closed = false;
  private counts = { batches: 0, jobs: 0, retries: 0 };

  private constructor(
    readonly pool: pg.Pool,
    private readonly maxBatch = 500,
  ) {}

  /** Connects and migrates. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
      application_name: 'tern-server',
      // Statements issued together go out together (a transaction's BEGIN rides with its first write: postgres-repos.ts Sql.begin).
      pipeline: true,
      types,
    });
    const { logger } = options;
    // An idle connection that dies (the database restarted) must not take the process down; the pool replaces it.
    pool.on('error', (err) => logger?.warn({ err }, 'idle database connection lost'));
    // A connection dying while checked out also fails the query in progress, which is where it is handled; this
    // listener only keeps its 'error' event from being uncaught. It is added as the connection is made: the driver
    // hands a new connection over and may report its death in the same turn (PostgreSQL's shutdown message right
    // behind ReadyForQuery), before a caller awaiting pool.connect() could add one.
    pool.on('connect', (client) => client.on('error', (err) => logger?.warn({ err: err.message }, 'database connection lost')));
    try {
      await migratePostgres(pool);
    } catch (err) {
      await pool.end();
      throw isUnavailable(err) ? unavailable(err) : err;
    }
    return new PostgresStore(pool, options.maxBatch);
  }

  write<A, R>(op: WriteOperation<A, R>, args: A, now: number): Promise<R> {
    const key = op.batchKey?.(args);
    return this.track(
      () =>
        new Promise<R>((resolve, reject) => {
          const job: Job = { op: op as WriteOperation<unknown, unknown>, args, now, resolve: resolve as (v: unknown) => void, reject };
          if (key === undefined) {
            void this.runBatch([job]);
            return;
          }
          let lane = this.lanes.get(key);
          if (!lane) this.lanes.set(key, (lane = []));
          lane.push(job);
          if (lane.length === 1) void this.drain(key, lane);
        }),
    );
  }

  /** Runs a lane's writes in batches, one transaction each, until it is empty. */
  private async drain(key: string, lane: Job[]): Promise<void> {
    while (lane.length > 0) {
      // The jobs stay in the lane while they run, so later writes join the lane rather than start a second drain.
      const jobs = lane.slice(0, this.maxBatch);
      await this.runBatch(jobs);
      lane.splice(0, jobs.length);
    }
    this.lanes.delete(key);
  }

  /**
   * One transaction for `jobs`, opened by their first statement that writes
   * (postgres-repos.ts Sql: operations that write nothing cost no BEGIN and
   * no COMMIT). Optimistically without savepoints (two round trips per job
   * saved): a job that throws before writing anything is simply left out
   * (the transaction holds nothing of it); one that throws after writing, or
   * with a database error, rolls the transaction back, and it runs again
   * without that job, whose error is final, as the jobs before it are the
   * same. A conflict (deadlock, serialization, a unique key a concurrent
   * writer took) reruns the batch; a lost connection fails it as unavailable.
   */
  private async runBatch(jobs: Job[]): Promise<void> {
    let pending = jobs;
    const failed = new Map<Job, unknown>();
    const finish = (values: unknown[] | undefined, error?: unknown) => {
      pending.forEach((job, i) => (values ? job.resolve(values[i]) : job.reject(error)));
      for (const [job, err] of failed) job.reject(err);
    };
    for (let conflicts = 0; ; ) {
      let client: pg.PoolClient;
      try {
        client = await this.connect();
      } catch (err) {
        return finish(undefined, err);
      }
      let broken: Error | undefined;
      let failing: Job | undefined;
      const tx = this.tx(client);
      try {
        tx.sql.beginLazily();
        const values: unknown[] = [];
        const ran: Job[] = [];
        for (const job of pending) {
          failing = job;
          const writes = tx.sql.writes;
          try {
            values.push(await job.op.run(tx, job.args, job.now));
            ran.push(job);
          } catch (error) {
            if (error instanceof pg.DatabaseError || tx.sql.writes !== writes || isUnavailable(error)) throw error;
            failed.set(job, error); // refused before it wrote: the transaction has nothing of it
          }
        }
        failing = undefined;
        pending = ran;
        if (tx.sql.end()) await client.query('COMMIT');
        tx.settle(true);
        if (pending.length > 0) this.counts.batches++;
        this.counts.jobs += pending.length;
        return finish(values);
      } catch (error) {
        const open = tx.sql.end();
        tx.settle(false);
        if (isUnavailable(error)) {
          broken = error as Error;
          return finish(undefined, unavailable(error));
        }
        try {
          if (open) await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
          return finish(undefined, isUnavailable(rollbackError) ? unavailable(rollbackError) : error);
        }
        if (isConflict(error) && ++conflicts < ATTEMPTS) {
          this.counts.retries++;
          // Jobs refused in this attempt keep their answer (it was read from committed data); the rest run again.
          pending = pending.filter((job) => !failed.has(job));
          if (pending.length === 0) return finish([]);
          continue;
        }
        if (!failing) return finish(undefined, error); // COMMIT itself failed
        failed.set(failing, error);
        pending = pending.filter((job) => !failed.has(job));
        if (pending.length === 0) return finish([]);
      } finally {
        // A connection that failed is closed, not reused.
        client.release(broken);
      }
    }
  }

  read<A, R>(op: ReadOperation<A, R>, args: A, now: number): Promise<R> {
    return this.track(async () => {
      const client = await this.connect();
      let broken: Error | undefined;
      try {
        return await op.run(this.tx(client), args, now);
      } catch (err) {
        if (isUnavailable(err)) {
          broken = err as Error;
          throw unavailable(err);
        }
        throw err;
      } finally {
        client.release(broken);
      }
    });
  }

  stats(): StoreStats {
    return { batches: this.counts.batches, jobs: this.counts.jobs, syncs: 0 };
  }

  /** Operations rerun after a conflict (tests, metrics). */
  get retries(): number {
    return this.counts.retries;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await this.pool.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw unavailable(err);
    }
  }

  private tx(client: pg.PoolClient): PgTx {
    let tx = this.txs.get(client);
    if (!tx) this.txs.set(client, (tx = new PgTx(client, this.conversations)));
    return tx;
  }

  private track<R>(fn: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(new Error('store closed'));
    const promise = fn();
    this.inFlight.add(promise);
    void promise.then(
      () => this.inFlight.delete(promise),
      () => this.inFlight.delete(promise),
    );
    return promise;
  }
}
