/** The server's programmatic API (documented in server/README.md). */
export { startServer, type RunningServer, type StartOptions } from './server';
export { defaultConfig, resolveConfig, type ServerConfig } from './config';
export { DataDirLockedError } from './datadir';
export type { Clock } from './clock';
