/** Opens the store the configuration names: SQLite in the data directory, or PostgreSQL. */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { DB_FILE } from '../datadir';
import type { DurabilityMode } from './durability';
import { PostgresStore } from './postgres-store';
import { SqliteStore } from './sqlite-store';
import { SqliteWorkerStore } from './sqlite-worker-store';
import type { Store } from './store';

export async function openStore(
  config: Pick<ServerConfig, 'store' | 'dataDir' | 'durability' | 'postgresPoolSize' | 'sqliteThread'>,
  logger: Pick<Logger, 'warn' | 'error'>,
  options: { durability?: DurabilityMode; onFatal?: (err: unknown) => void } = {},
): Promise<Store> {
  if (config.store === 'sqlite') {
    const file = join(config.dataDir, DB_FILE);
    const sqlite = { durability: options.durability ?? config.durability, onSyncError: (err: unknown) => logger.error({ err }, 'WAL sync failed') };
    if (config.sqliteThread === 'main') return SqliteStore.open(file, sqlite);
    return SqliteWorkerStore.open(file, { ...sqlite, onFatal: options.onFatal });
  }
  return PostgresStore.open(config.store, { poolSize: config.postgresPoolSize, logger });
}
