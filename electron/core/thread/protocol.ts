/**
 * The core's thread and its host talk over one MessagePort: the contract's
 * frames (shared/ipc/frames.ts: calls, results, events) plus a few control
 * messages of their own. Everything is structured-clone data.
 */
import type { CallFrame, EventFrame, ResultFrame, ServerEndpoint } from '../../../shared/ipc';
import type { DataKey } from '../data-key';
import type { Timings } from '../timings';

/** How the core on the thread is built (it cannot receive functions: only data). */
export interface CoreThreadConfig {
  dataDir: string;
  defaultServers: ServerEndpoint[];
  deviceName: string;
  clientName: string;
  /** Log records below this level stay in the thread. */
  logLevel: LogLevel;
  /** Tests shorten them. */
  timings?: Partial<Timings>;
  /**
   * The data key, when the host keeps it (Electron: in the OS keychain,
   * electron/main/data-key.ts). Absent: the core uses `<dataDir>/data.key`
   * (the web shell's choice; ../data-key.ts).
   */
  dataKey?: DataKey;
}

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

/** The core's log records, written by the host's logger (the thread owns no log file). */
export interface LogRecord {
  level: LogLevel;
  obj: object;
  msg?: string;
}

export type HostToThread = CallFrame | { control: 'probe' } | { control: 'dispose' };

export type ThreadToHost =
  | ResultFrame
  | EventFrame
  | { control: 'ready' }
  | { control: 'disposed' }
  | { control: 'failed'; message: string }
  | { log: LogRecord };
