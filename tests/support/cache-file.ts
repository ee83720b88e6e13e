/**
 * A second connection to a core's cache file, for tests that read it (or
 * damage it, as a bug in the core would) behind the core's back. The file is
 * encrypted with the key the core derives from its data directory's key file
 * (electron/core/data-key.ts, the key file the web shell and tests use); this
 * opens it with that key, or as plain SQLite if it is not encrypted.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { cacheFilePath } from '../../electron/core/cache';
import { applyKey, cacheFileState } from '../../electron/core/cache/encryption';
import { cacheKey, keyFileDataKey } from '../../electron/core/data-key';

export type CacheConnection = Database.Database;

export function openCacheFile(dataDir: string, userId: number, options: { readonly?: boolean } = {}): CacheConnection {
  const file = cacheFilePath(dataDir, userId);
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: true });
  try {
    if (cacheFileState(file) === 'encrypted') applyKey(db, cacheKey(keyFileDataKey(dataDir).key, userId));
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
