/**
 * The web shell's core: on a worker thread of the web shell's process, as in
 * Electron's main process, so the HTTP and WebSocket server never waits on
 * the core's SQL, fsync or crypto. The web shell runs from the sources (tsx),
 * hence the thread's TypeScript entry.
 */
import type { ServerEndpoint } from '../../shared/ipc';
import type { ClientCore } from '../core/core';
import type { Timings } from '../core/timings';
import { coreThreadFromSources, startCoreThread, type CoreThreadLog, type RestartPolicy } from '../host/core-thread';

export interface WebShellCoreOptions {
  dataDir: string;
  defaultServers: ServerEndpoint[];
  deviceName: string;
  /** Where the core's records go; default: nowhere. */
  log?: CoreThreadLog;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  timings?: Partial<Timings>;
  restart?: Partial<RestartPolicy>;
}

const silent: CoreThreadLog = { info() {}, warn() {}, error() {} };

export function startWebShellCore(options: WebShellCoreOptions): Promise<ClientCore> {
  return startCoreThread({
    entry: coreThreadFromSources(),
    config: {
      dataDir: options.dataDir,
      defaultServers: options.defaultServers,
      deviceName: options.deviceName,
      clientName: `tern-web/${process.platform}`,
      logLevel: options.logLevel ?? (options.log ? 'info' : 'error'),
      ...(options.timings ? { timings: options.timings } : {}),
    },
    log: options.log ?? silent,
    ...(options.restart ? { restart: options.restart } : {}),
  });
}
