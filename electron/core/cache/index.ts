/** The local cache of an account (SQLite): see ./api.ts for the contract. */
export * from './api';
export { openCache, cacheFilePath, CorruptCacheError } from './open';
export { keyOfRef } from './wire';
export { latestSchemaVersion } from './migrations';
