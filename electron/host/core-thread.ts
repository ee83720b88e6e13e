/**
 * The messaging core on a worker thread of this process (Electron's main
 * process, or the web shell's), behind the same `ClientCore` interface as an
 * in-process core: the shells dispatch to it and forward its events exactly
 * as before, and the thread that runs windows, tray and IPC (or the web
 * shell's HTTP server) never waits on SQL, fsync or crypto.
 *
 * The host and the thread speak the shared/ipc contract over the worker's
 * port (../core/thread/protocol.ts). If the thread dies, the host starts a
 * new one and signs the same account in again with its stored device token;
 * the outbox is in the account's SQLite file, so the new core resends what
 * was waiting and the server's de-duplication makes each message arrive
 * once. Calls made meanwhile wait for the new thread; calls that were in
 * flight fail with SHELL_DISCONNECTED, and the UI hears of the outage
 * through `connectionState`.
 */
import { Worker } from 'node:worker_threads';
import {
  hostMethodSchemas,
  isShellMethod,
  methodNames,
  type HostMethodName,
  type HostMethods,
  type CallResult,
  type CoreMethodName,
  type CoreMethods,
  type ErrorCode,
  type MessengerEvents,
  type Session,
} from '../../shared/ipc';
import { Emitter } from '../../shared/util/emitter';
import type { ClientCore } from '../core/core';
import { logLevels, type CoreThreadConfig, type HostToThread, type LogLevel, type ThreadToHost } from '../core/thread/protocol';

export type { ClientCore };
export type { CoreThreadConfig, LogLevel } from '../core/thread/protocol';

/** A log level from configuration (e.g. TERN_LOG_LEVEL); 'info' when absent or unknown. */
export function logLevelOf(value: string | undefined): LogLevel {
  return logLevels.find((level) => level === value) ?? 'info';
}

/** Where the host writes the core's log records (a pino logger fits). */
export interface CoreThreadLog {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RestartPolicy {
  /** The first restart waits this long; each further crash within `windowMs` doubles it, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** This many crashes within `windowMs` and the host gives up (the core keeps dying: a bug, not bad luck). */
  maxCrashes: number;
  windowMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { initialDelayMs: 200, maxDelayMs: 5_000, maxCrashes: 5, windowMs: 60_000 };

export interface CoreThreadOptions {
  /** The thread's entry: the bundled file in the app, `coreThreadFromSources()` when running from the TypeScript sources. */
  entry: URL;
  config: CoreThreadConfig;
  log: CoreThreadLog;
  restart?: Partial<RestartPolicy>;
  /** How long a call waits for the thread to come (back) up before failing with SHELL_DISCONNECTED. */
  callWaitMs?: number;
  /** How long `dispose()` lets the core close its socket and cache before the thread is terminated. */
  disposeTimeoutMs?: number;
  /** Hears of every worker the host starts (tests end one to prove the restart). */
  onWorker?(worker: Worker): void;
}

/** The thread entry when running from sources (tsx, tests): a bootstrap that loads the TypeScript entry. */
export function coreThreadFromSources(): URL {
  return new URL('./core-worker-dev.mjs', import.meta.url);
}

/** The error a call rejects with; `code` is kept by the shells' dispatcher. */
class CoreCallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CoreCallError';
  }
}

/** A method the thread serves: the contract's (minus the shell's) and the host-only ones. */
type ThreadMethodName = CoreMethodName | HostMethodName;

interface PendingCall {
  method: ThreadMethodName;
  resolve(value: unknown): void;
  reject(error: CoreCallError): void;
}

const coreMethodNames = methodNames.filter((m): m is CoreMethodName => !isShellMethod(m));
const threadMethodNames: ThreadMethodName[] = [...coreMethodNames, ...(Object.keys(hostMethodSchemas) as HostMethodName[])];

/** Starts the core's thread; resolves once the core is built and serving. */
export async function startCoreThread(options: CoreThreadOptions): Promise<ClientCore> {
  const host = new CoreThreadHost(options);
  await host.started;
  return host.asCore();
}

class CoreThreadHost {
  readonly started: Promise<void>;
  private readonly events: Emitter<MessengerEvents>;
  private readonly policy: RestartPolicy;
  private readonly pending = new Map<number, PendingCall>();
  private worker: Worker | undefined;
  /** Resolves when a thread is up (and, after a restart, the account signed in again); calls wait for it. */
  private ready: Promise<void>;
  private nextId = 1;
  /** The account to sign in again after a restart: the last one signed in through this host and not signed out. */
  private restoreUsername: string | undefined;
  private crashes: number[] = [];
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private gaveUp = false;
  /** The first thread came up: from then on a thread that ends is restarted. */
  private everReady = false;
  private disposing: Promise<void> | undefined;

  constructor(private readonly options: CoreThreadOptions) {
    this.policy = { ...defaultRestartPolicy, ...options.restart };
    this.events = new Emitter<MessengerEvents>({
      onListenerError: (error, event) => options.log.error({ event: String(event), err: error instanceof Error ? error.message : String(error) }, 'event listener threw'),
    });
    this.started = this.launch();
    this.ready = this.started;
  }

  asCore(): ClientCore {
    const methods = {} as Record<ThreadMethodName, (args: unknown) => Promise<unknown>>;
    for (const method of threadMethodNames) methods[method] = (args) => this.call(method, args);
    return {
      ...(methods as unknown as CoreMethods & HostMethods),
      on: (event, listener) => this.events.on(event, listener),
      probe: () => this.post({ control: 'probe' }),
      dispose: () => this.dispose(),
    };
  }

  // ------------------------------------------------------------ calls

  private async call(method: ThreadMethodName, args: unknown): Promise<unknown> {
    await this.whenReady();
    const result = await this.send(method, args);
    if (!result.ok) throw new CoreCallError(result.error.code, result.error.message);
    this.track(method, result.value);
    return result.value;
  }

  /** Posts one call to the current thread and waits for its answer (or for the thread's end). */
  private send(method: ThreadMethodName, args: unknown): Promise<CallResult<unknown>> {
    const worker = this.worker;
    if (!worker) return Promise.reject(this.disconnected('the core is not running'));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      worker.postMessage({ id, method, args: args ?? {} } satisfies HostToThread);
    }) as Promise<CallResult<unknown>>;
  }

  private async whenReady(): Promise<void> {
    if (this.disposing || this.gaveUp) throw this.disconnected(this.gaveUp ? 'the core keeps stopping' : 'the core was disposed');
    const waitMs = this.options.callWaitMs ?? 20_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.disconnected('the core did not come back in time')), waitMs);
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Which account to sign in again if the thread has to be restarted. */
  private track(method: ThreadMethodName, value: unknown): void {
    if (method === 'login' || method === 'register' || (method === 'getSession' && value)) this.restoreUsername = (value as Session).account.username;
    else if (method === 'logout') this.restoreUsername = undefined;
  }

  private disconnected(message: string): CoreCallError {
    return new CoreCallError('SHELL_DISCONNECTED', message);
  }

  // ------------------------------------------------------------ the thread

  /** Starts a thread and waits until its core serves. */
  private launch(): Promise<void> {
    const worker = new Worker(this.options.entry, { workerData: this.options.config, name: 'tern-core' });
    this.worker = worker;
    this.options.onWorker?.(worker);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
      worker.on('message', (message: ThreadToHost) => {
        if ('control' in message) {
          if (message.control === 'ready') {
            this.everReady = true;
            settle();
          }
          else if (message.control === 'failed') settle(new CoreCallError('INTERNAL', `the core could not start: ${message.message}`));
          return;
        }
        this.onMessage(message);
      });
      worker.on('error', (error) => {
        this.options.log.error({ err: error.message }, 'core thread crashed');
        settle(new CoreCallError('INTERNAL', `the core thread crashed: ${error.message}`));
      });
      worker.on('exit', (code) => {
        settle(new CoreCallError('INTERNAL', `the core thread exited (${code}) before it was ready`));
        this.onExit(worker, code);
      });
    });
  }

  private onMessage(message: Exclude<ThreadToHost, { control: string }>): void {
    if ('log' in message) {
      const { level, obj, msg } = message.log;
      this.writeLog(level, obj, msg);
    } else if ('event' in message) {
      if (message.event === 'sessionEnded') this.restoreUsername = undefined;
      this.events.emit(message.event, message.payload as never);
    } else {
      const call = this.pending.get(message.id as number);
      if (!call) return;
      this.pending.delete(message.id as number);
      call.resolve(message.result);
    }
  }

  private writeLog(level: LogLevel, obj: object, msg: string | undefined): void {
    const log = this.options.log;
    if (level === 'debug') log.debug?.(obj, msg);
    else log[level](obj, msg);
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    for (const [id, call] of [...this.pending]) {
      this.pending.delete(id);
      call.reject(this.disconnected(`the core stopped during ${call.method}`));
    }
    if (this.disposing || !this.everReady) return;
    this.options.log.error({ code }, 'core thread ended unexpectedly');
    this.events.emit('connectionState', { state: 'offline', lastError: { code: 'SHELL_DISCONNECTED', message: 'the core stopped; restarting it' } });
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < this.policy.windowMs), now];
    if (this.crashes.length >= this.policy.maxCrashes) {
      this.gaveUp = true;
      this.options.log.error({ crashes: this.crashes.length }, 'core thread keeps stopping: not restarting it');
      this.events.emit('connectionState', { state: 'offline', lastError: { code: 'INTERNAL', message: 'the core keeps stopping' } });
      return;
    }
    const delay = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** (this.crashes.length - 1));
    this.ready = new Promise<void>((resolve, reject) => {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.restart().then(resolve, reject);
      }, delay);
    });
    // A restart that fails is reported to the calls that wait for it; nobody else awaits it.
    this.ready.catch(() => undefined);
  }

  /** A new thread, then the account that was signed in, signed in again (its outbox resends from the cache). */
  private async restart(): Promise<void> {
    await this.launch();
    this.options.log.info({ restoring: this.restoreUsername !== undefined }, 'core thread restarted');
    const username = this.restoreUsername;
    if (!username) return;
    const result = await this.send('login', { username });
    if (result.ok) return;
    this.options.log.warn({ code: result.error.code }, 'could not sign in again after a core restart');
    this.restoreUsername = undefined;
    this.events.emit('sessionEnded', { reason: result.error.code === 'PASSWORD_REQUIRED' ? 'password-required' : 'logout' });
  }

  private post(message: HostToThread): void {
    this.worker?.postMessage(message);
  }

  // ------------------------------------------------------------ end

  private dispose(): Promise<void> {
    this.disposing ??= (async () => {
      clearTimeout(this.restartTimer);
      const worker = this.worker;
      if (worker) {
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.options.disposeTimeoutMs ?? 5_000).unref());
        worker.postMessage({ control: 'dispose' } satisfies HostToThread);
        if ((await Promise.race([exited, timeout])) === 'timeout') {
          this.options.log.warn({}, 'core thread did not end in time: terminating it');
          await worker.terminate();
        }
      }
      this.events.clear();
    })();
    return this.disposing;
  }
}
