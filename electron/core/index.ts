/**
 * The messaging core's entry point: `createCore(options)` returns the
 * MessengerCore of shared/ipc (plus `probe()`), which the Electron main
 * process and the web shell serve to the UI.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ServerEndpoint } from '../../shared/ipc';
import { openCache as defaultOpenCache } from './cache/index';
import type { OpenCache } from './cache/api';
import { systemClock, type Clock } from './clock';
import { createMessengerCore, type ClientCore } from './core';
import { keyFileDataKey, type DataKey } from './data-key';
import type { Connector } from './link';
import { silentLogger, type Logger } from './log';
import { checkTransportCrypto, secureConnector } from './secure-connector';
import { resolveTimings, type Timings } from './timings';

export interface CoreOptions {
  /** App data directory: accounts.json, settings.json, accounts/<userId>/cache.db. */
  dataDir: string;
  /** Servers used when settings.json has none yet. */
  defaultServers?: ServerEndpoint[];
  clock?: Clock;
  timings?: Partial<Timings>;
  /** Shown in the account's device list on the server. */
  deviceName?: string;
  /** Sent in the handshake, e.g. "tern-desktop/0.1.0 linux". */
  clientName?: string;
  log?: Logger;
  /** Tests: a transport other than TCP + Noise. */
  connector?: Connector;
  /** Tests: a cache opener other than the SQLite one. */
  openCache?: OpenCache;
  /** Tests: deterministic back-off jitter. */
  random?: () => number;
  /**
   * The key that encrypts the caches and seals the device tokens, protected by
   * the shell (Electron: the OS keychain). Absent: `<dataDir>/data.key` (0600),
   * which the web shell and the tests use (./data-key.ts says why that is weaker).
   */
  dataKey?: DataKey;
}

export type { ClientCore };

export async function createCore(options: CoreOptions): Promise<ClientCore> {
  checkTransportCrypto();
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return createMessengerCore({
    dataDir: options.dataDir,
    defaultServers: options.defaultServers ?? [],
    clock: options.clock ?? systemClock,
    timings: resolveTimings(options.timings),
    connector: options.connector ?? secureConnector,
    openCache: options.openCache ?? defaultOpenCache,
    dataKey: options.dataKey ?? keyFileDataKey(options.dataDir),
    log: options.log ?? silentLogger,
    deviceName: options.deviceName ?? hostname(),
    clientName: options.clientName ?? `tern-desktop/0.1.0 ${process.platform}`,
    ...(options.random ? { random: options.random } : {}),
  });
}

export { CoreError, toErrorInfo } from './errors';
export type { Timings } from './timings';
export { defaultTimings } from './timings';
export type { Clock } from './clock';
export type { Logger } from './log';
export type { DataKey, KeyProtection } from './data-key';
