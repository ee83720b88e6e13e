/** The local cache of an account (SQLite): see ./api.ts for the contract. */
export * from './api';
/** The cache's input types (decoded protobuf messages, see ../wire/types.ts). */
export type * from '../wire/types';
export { openCache, cacheFilePath, CorruptCacheError } from './open';
export { latestSchemaVersion } from './migrations';
