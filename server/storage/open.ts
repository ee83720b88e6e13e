/** Opens the store the configuration names: SQLite in the data directory, or PostgreSQL. */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { DB_FILE } from '../datadir';
import type { DurabilityMode } from './durability';
import { PostgresStore } from './postgres-store';
import { SqliteStore } from './sqlite-store';
import type { Store } from './store';

export async function openStore(
  config: Pick<ServerConfig, 'store' | 'dataDir' | 'durability' | 'postgresPoolSize'>,
  logger: Pick<Logger, 'warn' | 'error'>,
  durability: DurabilityMode = config.durability,
): Promise<Store> {
  if (config.store === 'sqlite') {
    return SqliteStore.open(join(config.dataDir, DB_FILE), { durability, onSyncError: (err) => logger.error({ err }, 'WAL sync failed') });
  }
  return PostgresStore.open(config.store, { poolSize: config.postgresPoolSize, logger });
}
