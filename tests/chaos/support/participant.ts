/**
 * One user of a chaos scenario: a real client core (in this process, or in a
 * child process that can be SIGKILLed), its SQLite cache in its own data
 * directory, its own fault proxy in front of the server, and a ledger of what
 * its UI was shown: every message it sent, and which ones the UI showed as
 * sent (acknowledged). The invariant checker compares ledgers with caches.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ConnectionStatus, ConversationKey, MessageView, ServerEndpoint } from '../../../shared/ipc';
import { createCore, type ClientCore } from '../../../electron/core/index';
import { systemClock, type Clock } from '../../../electron/core/clock';
import type { Logger } from '../../../electron/core/log';
import type { Timings } from '../../../electron/core/timings';
import type { CoreThreadConfig, ThreadToHost } from '../../../electron/core/thread/protocol';
import type { CallResult } from '../../../shared/ipc';
import { repoRoot } from '../../core/helpers/server';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { rssKiBOf } from './server';

/**
 * Heartbeat and retries shortened for tests: a dead link is found within
 * interval + misses × timeout = 1 + 2 × 1 = 3 s; the outbox gives a message
 * 8 attempts over 4 s of acks, and 30 × 0.5 s = 15 s of being offline before
 * it fails it.
 */
export const chaosTimings: Partial<Timings> = {
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 1000,
  heartbeatMisses: 2,
  connectTimeoutMs: 3000,
  requestTimeoutMs: 5000,
  backoffInitialMs: 200,
  backoffMaxMs: 1500,
  ackTimeoutMs: 4000,
  ackRetries: 3,
  offlineCheckMs: 500,
  offlineChecks: 30,
};

export const PASSWORD = 'correct horse battery';

export interface SentRecord {
  id: string;
  key: ConversationKey;
  text: string;
}

export interface ParticipantOptions {
  root: string;
  name: string;
  server: ServerEndpoint;
  seed: number;
  /** Run the core in a child process (killable). */
  process?: boolean;
  /** Added to the client's clock (ms): a clock far ahead or behind the server. */
  skewMs?: number;
  /** Connect to the server directly instead of through a proxy (netns scenarios). */
  direct?: boolean;
  /** A cluster's endpoints, in the order this client tries them (directly, no proxy): it fails over down the list. */
  servers?: ServerEndpoint[];
  timings?: Partial<Timings>;
  /** Data directory under root (default: the name): a second device of the same account. */
  dir?: string;
}

/** The methods and events a scenario uses, whichever side of a process boundary the core is on. */
type CoreHandle = Pick<ClientCore, 'on' | 'dispose'> & Omit<ClientCore, 'on' | 'dispose' | 'probe'>;

export class Participant {
  core!: CoreHandle;
  proxy: FaultProxy | undefined;
  userId = 0;
  readonly dataDir: string;
  /** Every sendMessage, in call order. */
  readonly sent: SentRecord[] = [];
  /**
   * Sends whose answer a SIGKILL of the core cut off (SHELL_DISCONNECTED): the
   * core may or may not have stored them before it died, like a click in an
   * app that crashed at that instant. Neither required nor phantoms.
   */
  readonly cut: Omit<SentRecord, 'id'>[] = [];
  /** Ids the UI showed as sent (an ack arrived: status sent, delivered or read). */
  readonly shownSent = new Set<string>();
  /** Connection states as the UI saw them, with local receive time. */
  readonly states: { at: number; status: ConnectionStatus }[] = [];
  /** Error-level log records of the core, and child exits we did not cause. */
  readonly errors: string[] = [];
  /** The in-process core's last info/warn records (sync gaps, retries, reconnects), for failure reports; no message content. */
  readonly recent: string[] = [];
  private child: ChildProcess | undefined;
  private expectingExit = false;

  constructor(readonly options: ParticipantOptions) {
    this.dataDir = join(options.root, options.dir ?? options.name);
  }

  get name(): string {
    return this.options.name;
  }

  /** The endpoint the core is configured with (its proxy, or the server itself). */
  endpoint(): ServerEndpoint {
    if (!this.proxy) return this.options.server;
    return { host: '127.0.0.1', port: this.proxy.port, publicKey: this.options.server.publicKey };
  }

  /** What the core is configured with: a cluster's list, or the one endpoint. */
  private servers(): ServerEndpoint[] {
    return this.options.servers ?? [this.endpoint()];
  }

  async start(): Promise<void> {
    if (!this.options.direct && !this.options.servers && !this.proxy) this.proxy = await startFaultProxy(this.options.server, { seed: this.options.seed });
    const timings = { ...chaosTimings, ...this.options.timings };
    const log: Logger = {
      debug: () => {},
      info: (obj, msg) => this.note('info', obj, msg),
      warn: (obj, msg) => this.note('warn', obj, msg),
      error: (obj, msg) => this.errors.push(`${this.name}: ${msg ?? ''} ${JSON.stringify(obj)}`),
    };
    if (this.options.process) {
      this.core = await this.spawnChild({ dataDir: this.dataDir, defaultServers: this.servers(), deviceName: this.name, clientName: 'tern-chaos', logLevel: 'error', timings });
    } else {
      const skew = this.options.skewMs ?? 0;
      const clock: Clock = skew === 0 ? systemClock : { ...systemClock, now: () => Date.now() + skew };
      this.core = await createCore({ dataDir: this.dataDir, defaultServers: this.servers(), deviceName: this.name, timings, clock, log });
    }
    this.listen();
  }

  private note(level: string, obj: unknown, msg?: string): void {
    this.recent.push(`${new Date().toISOString()} ${level} ${msg ?? ''} ${JSON.stringify(obj)}`);
    if (this.recent.length > 200) this.recent.splice(0, this.recent.length - 200);
  }

  private listen(): void {
    this.core.on('messagesChanged', ({ messages }) => this.noteMessages(messages));
    this.core.on('connectionState', (status) => this.states.push({ at: Date.now(), status }));
    // Nobody signs these accounts in elsewhere: a session the server ended never comes back by itself (it needs the
    // password), so it is a finding, not a fault to ride out.
    this.core.on('sessionEnded', ({ reason }) => this.errors.push(`${this.name}: session ended by the server (${reason}) at ${new Date().toISOString()}`));
    this.core.on('kicked', ({ reason, deviceName }) => this.errors.push(`${this.name}: kicked (${reason}${deviceName ? ` by ${deviceName}` : ''}) at ${new Date().toISOString()}`));
  }

  private noteMessages(messages: MessageView[]): void {
    for (const m of messages) {
      if (m.outgoing && (m.status === 'sent' || m.status === 'delivered' || m.status === 'read')) this.shownSent.add(m.id);
    }
  }

  async register(): Promise<void> {
    const s = await this.core.register({ username: this.name, password: PASSWORD });
    this.userId = s.profile.userId;
  }

  /** Signs in again with the stored device token (after a restart of the core). */
  async resume(): Promise<void> {
    await this.core.login({ username: this.name });
  }

  /** Sends `text` (with staged attachments: their staging ids) and records it in the ledger. */
  async send(key: ConversationKey, text: string, attachments?: string[]): Promise<string> {
    try {
      const { id } = await this.core.sendMessage({ key, text, ...(attachments ? { attachments } : {}) });
      this.sent.push({ id, key, text });
      return id;
    } catch (err) {
      if ((err as { code?: string }).code === 'SHELL_DISCONNECTED') this.cut.push({ key, text });
      throw err;
    }
  }

  async online(): Promise<boolean> {
    return (await this.core.getConnectionStatus({})).state === 'online';
  }

  /** The core's own process's resident memory in KiB (process participants; 0 for an in-process core). */
  rssKiB(): number {
    return this.child?.pid ? rssKiBOf(this.child.pid) : 0;
  }

  /** SIGKILL the core's process (process participants only). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) throw new Error(`${this.name} runs in-process: it cannot be killed`);
    this.expectingExit = true;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /**
   * Starts the core again on the same data directory and signs in with the
   * token, then reads the conversations as a UI does when it opens: a SIGKILL
   * can land after the core stored an ack and before its event crossed the
   * process boundary (the IPC buffer dies with the process), and the UI that
   * opens next shows that message as sent from the cache.
   */
  async restart(): Promise<void> {
    if (this.child) await this.kill();
    else await this.core.dispose();
    await this.start();
    await this.resume();
    for (const c of (await this.core.listConversations({ limit: 500 })).items) this.noteMessages((await this.core.loadMessages({ key: c.key, limit: 200 })).messages);
  }

  async stop(): Promise<void> {
    if (this.child) {
      this.expectingExit = true;
      const child = this.child;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.disconnect();
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
      this.child = undefined;
    } else if (this.core) {
      await this.core.dispose();
    }
    await this.proxy?.stop();
    this.proxy = undefined;
  }

  private async spawnChild(config: CoreThreadConfig): Promise<CoreHandle> {
    const child = fork(join(repoRoot, 'tests/chaos/support/client-child.ts'), [], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, TERN_CHAOS_CLIENT: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.expectingExit = false;
    const pending = new Map<number | string, (r: CallResult<unknown>) => void>();
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    let nextId = 1;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: ThreadToHost) => {
        if ('control' in m) {
          if (m.control === 'ready') resolve();
          if (m.control === 'failed') reject(new Error(m.message));
        } else if ('log' in m) {
          this.errors.push(`${this.name}: ${m.log.msg ?? ''} ${JSON.stringify(m.log.obj)}`);
        } else if ('event' in m) {
          for (const l of listeners.get(m.event) ?? []) l(m.payload);
        } else if ('id' in m) {
          pending.get(m.id)?.(m.result);
          pending.delete(m.id);
        }
      });
      child.once('exit', (code, signal) => {
        for (const done of pending.values()) done({ ok: false, error: { code: 'SHELL_DISCONNECTED', message: 'client process ended' } });
        pending.clear();
        if (!this.expectingExit) this.errors.push(`${this.name}: client process exited (${code ?? signal})`);
        reject(new Error(`client process exited (${code ?? signal}) before it was ready`));
      });
    });
    await ready;
    const call = (method: string, args: unknown) =>
      new Promise<unknown>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, (r) => (r.ok ? resolve(r.value) : reject(Object.assign(new Error(`${method}: ${r.error.code} ${r.error.message}`), { code: r.error.code }))));
        child.send({ id, method, args });
      });
    const handle = {
      on: (event: string, fn: (p: unknown) => void) => {
        if (!listeners.has(event)) listeners.set(event, new Set());
        listeners.get(event)!.add(fn);
        return () => listeners.get(event)?.delete(fn);
      },
      dispose: async () => {},
    };
    // Every other property is a contract method, called across the process boundary (not `then`: this is no promise).
    return new Proxy(handle, {
      get: (target, prop: string) => (prop in target ? target[prop as keyof typeof target] : prop === 'then' ? undefined : (args: unknown) => call(prop, args ?? {})),
    }) as unknown as CoreHandle;
  }
}
