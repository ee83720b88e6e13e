/**
 * The PostgreSQL backend, for clusters: every gateway node runs operations
 * against one database.
 *
 * - A write operation is one transaction on a pooled connection (BEGIN, the
 *   operation, COMMIT); it resolves after COMMIT returns, which with
 *   PostgreSQL's default `synchronous_commit = on` means the commit is in the
 *   WAL on disk. Concurrent writes are separate transactions; PostgreSQL
 *   flushes the WAL of commits that arrive together once (its own group
 *   commit), so the store does not batch them itself.
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
import { PgTx } from './postgres-repos';
import { StoreUnavailableError, type ReadOperation, type Store, type StoreStats, type WriteOperation } from './store';

export interface PostgresStoreOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
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

/** The database is not there (or not yet, or no longer): errors that say nothing about the operation. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now (starting, recovering); 53300: too many connections.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
    if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT...
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(err.message);
}

function unavailable(err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`database unavailable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export class PostgresStore implements Store {
  readonly backend = 'postgres' as const;
  private readonly txs = new WeakMap<pg.PoolClient, PgTx>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private counts = { batches: 0, jobs: 0, retries: 0 };

  private constructor(
    readonly pool: pg.Pool,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {
    // An idle connection that dies (the database restarted) must not take the process down; the pool replaces it.
    pool.on('error', (err) => logger?.warn({ err }, 'idle database connection lost'));
  }

  /** Connects and migrates. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
      application_name: 'tern-server',
      types,
    });
    try {
      await migratePostgres(pool);
    } catch (err) {
      await pool.end();
      throw isUnavailable(err) ? unavailable(err) : err;
    }
    return new PostgresStore(pool, options.logger);
  }

  write<A, R>(op: WriteOperation<A, R>, args: A, now: number): Promise<R> {
    return this.track(async () => {
      for (let attempt = 1; ; attempt++) {
        const client = await this.connect();
        let broken: Error | undefined;
        try {
          await client.query('BEGIN');
          const result = await op.run(this.tx(client), args, now);
          await client.query('COMMIT');
          this.counts.batches++;
          this.counts.jobs++;
          return result;
        } catch (err) {
          if (isUnavailable(err)) {
            broken = err as Error;
            throw unavailable(err);
          }
          try {
            await client.query('ROLLBACK');
          } catch (rollbackError) {
            broken = rollbackError as Error;
          }
          const code = (err as { code?: string }).code;
          if (code !== undefined && RETRY.has(code) && attempt < ATTEMPTS && !broken) {
            this.counts.retries++;
            continue;
          }
          throw err;
        } finally {
          // A connection that failed is closed, not reused.
          client.release(broken);
        }
      }
    });
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
    if (!tx) {
      this.txs.set(client, (tx = new PgTx(client)));
      // A connection dying while checked out also fails the query in progress, which is where it is handled.
      client.on('error', (err) => this.logger?.warn({ err: err.message }, 'database connection lost'));
    }
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
