/**
 * The connection state machine:
 *
 *   offline -> connecting -> handshaking -> authenticating -> syncing -> online
 *      ^                                                                  |
 *      +------------- failure / dead heartbeat / server close -------------+
 *
 * It owns at most one link at a time (connection + request tracker +
 * heartbeat). Authentication and sync belong to the session, which gives its
 * hooks to the constructor, gets each link through `onLink` and moves the
 * state on with `setState`. After any failure the next endpoint is tried
 * after a jittered exponential back-off; `stop()` ends the loop (logout,
 * kicked, token rejected).
 */
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { ConnectionState, ConnectionStatus, ErrorInfo, ServerEndpoint, SyncPhase } from '../../shared/ipc';
import {
  Command,
  PingSchema,
  PongSchema,
  ErrorDetailSchema,
  ResultCode,
  decodePayload,
  encodePayload,
  isPushCommand,
  requestSpecs,
  type Frame,
  type RequestCommand,
} from '../../shared/protocol';
import { backoffDelay, EndpointRotation } from './backoff';
import { Timer, type Clock } from './clock';
import type { Disposable } from '../../shared/util/disposable';
import { CoreError, errorFromResult, resultCodeName, toErrorInfo } from './errors';
import { Heartbeat } from './heartbeat';
import { big } from './wire';
import { endpointName, type Connector, type ServerHello, type WireConnection } from './link';
import type { Logger } from './log';
import { RequestTracker } from './requests';
import type { Timings } from './timings';

type RequestShape<C extends RequestCommand> = MessageInitShape<(typeof requestSpecs)[C]['request']>;
type ResponseShape<C extends RequestCommand> = MessageShape<(typeof requestSpecs)[C]['response']>;

/** One live connection to one endpoint. */
export class Link {
  readonly tracker: RequestTracker;
  readonly heartbeat: Heartbeat;
  private isOpen = true;

  constructor(
    readonly connection: WireConnection,
    readonly endpoint: ServerEndpoint,
    readonly hello: ServerHello,
    private readonly clock: Clock,
    private readonly timings: Timings,
    onDead: () => void,
  ) {
    this.tracker = new RequestTracker(clock);
    this.heartbeat = new Heartbeat(
      clock,
      {
        intervalMs: heartbeatInterval(timings.heartbeatIntervalMs, hello),
        timeoutMs: timings.heartbeatTimeoutMs,
        misses: timings.heartbeatMisses,
        probeTimeoutMs: timings.probeTimeoutMs,
      },
      () => this.sendPing(),
      onDead,
    );
  }

  get open(): boolean {
    return this.isOpen && !this.connection.closed;
  }

  markClosed(): void {
    this.isOpen = false;
  }

  async request<C extends RequestCommand>(command: C, payload: RequestShape<C>, timeoutMs = this.timings.requestTimeoutMs): Promise<ResponseShape<C>> {
    if (!this.open) throw new CoreError('OFFLINE', 'not connected');
    const spec = requestSpecs[command];
    const bytes = encodePayload(spec.request as DescMessage, payload as MessageInitShape<DescMessage>);
    const { serial, response } = this.tracker.begin(command, timeoutMs);
    if (!this.send({ serial, command, code: 0, payload: bytes })) {
      this.tracker.fail(serial, new CoreError('OFFLINE', 'connection closed'));
    }
    const frame = await response;
    if (frame.code !== ResultCode.OK) {
      const detail = decodePayload(ErrorDetailSchema, frame.payload);
      throw errorFromResult(frame.code, detail.ok ? detail.value.message : '', detail.ok ? detail.value.retryAfterMs : 0);
    }
    const decoded = decodePayload(spec.response as DescMessage, frame.payload);
    if (!decoded.ok) throw new CoreError('INTERNAL', decoded.error);
    return decoded.value as ResponseShape<C>;
  }

  send(frame: Frame): boolean {
    if (!this.open) return false;
    try {
      return this.connection.send(frame);
    } catch {
      return false;
    }
  }

  private pingSerial = 0x40000000;
  private sendPing(): void {
    // PINGs are fire-and-forget: any frame received answers them. Their
    // serials come from a range apart from requests'.
    this.pingSerial = this.pingSerial >= 0x7fffffff ? 0x40000000 : this.pingSerial + 1;
    this.send({ serial: this.pingSerial, command: Command.PING, code: 0, payload: encodePayload(PingSchema, { sentAt: big(this.clock.now()) }) });
  }
}

/**
 * Our interval, unless the server asks for more frequent PINGs or would reap
 * a connection silent for less than two of our intervals.
 */
export function heartbeatInterval(ours: number, hello: ServerHello): number {
  let interval = ours;
  if (hello.heartbeatIntervalMs > 0) interval = Math.min(interval, hello.heartbeatIntervalMs);
  if (hello.idleTimeoutMs > 0) interval = Math.min(interval, Math.floor(hello.idleTimeoutMs / 2));
  return Math.max(1, interval);
}

/** One connection attempt failed (before or during authentication). */
export interface AttemptFailure {
  error: ErrorInfo;
  endpoint: string;
  consecutiveFailures: number;
  endpoints: number;
}

/** What the owner of the connection loop does at each step (given to the constructor). */
export interface ConnectionHooks {
  /** The link is up (state `authenticating`): log in, sync, then `setState('online')`. Throw to drop the link. */
  onLink(link: Link): Promise<void>;
  /** A server push (PUSH, KICKED, TYPING_PUSH, PRESENCE_PUSH, ERROR). */
  onPush(frame: Frame, link: Link): void;
  /** The link went away (before the state machine schedules the retry). */
  onLinkLost?(link: Link, error: ErrorInfo): void;
  /** Every state change. */
  onStatus?(status: ConnectionStatus): void;
  /** An attempt failed; the hook may `stop()` the loop (then no retry is scheduled). */
  onAttemptFailed?(failure: AttemptFailure): void;
}

export interface ConnectionManagerOptions {
  clock: Clock;
  timings: Timings;
  connector: Connector;
  log: Logger;
  clientName: string;
  random?: () => number;
}

export class ConnectionManager implements Disposable {
  private status: ConnectionStatus = { state: 'offline' };
  private rotation: EndpointRotation<ServerEndpoint> | undefined;
  private link: Link | undefined;
  private running = false;
  private disposed = false;
  private failures = 0;
  private attemptId = 0;
  private abort: AbortController | undefined;
  private readonly retryTimer: Timer;
  private readonly random: () => number;

  constructor(
    private readonly options: ConnectionManagerOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.retryTimer = new Timer(options.clock);
    this.random = options.random ?? Math.random;
  }

  get current(): ConnectionStatus {
    return { ...this.status };
  }

  get activeLink(): Link | undefined {
    return this.link?.open ? this.link : undefined;
  }

  /** Starts connecting (now) to `endpoints`, in order, until `stop()`. */
  start(endpoints: readonly ServerEndpoint[]): void {
    this.stop();
    this.rotation = new EndpointRotation(endpoints);
    this.running = true;
    this.failures = 0;
    void this.attempt();
  }

  /** Replaces the endpoint list; takes effect at the next attempt. */
  setEndpoints(endpoints: readonly ServerEndpoint[]): void {
    this.rotation?.reset(endpoints);
  }

  /** Ends the loop and the link; the state becomes `offline` with `lastError` if given. */
  stop(lastError?: ErrorInfo): void {
    this.running = false;
    this.retryTimer.clear();
    this.abort?.abort();
    this.abort = undefined;
    this.attemptId += 1;
    const link = this.link;
    this.link = undefined;
    if (link) this.teardown(link, { code: 'OFFLINE', message: 'disconnected' });
    this.setStatus({ state: 'offline', ...(lastError ? { lastError } : {}) });
  }

  /** The session moves the state forward while it logs in and syncs. */
  setState(state: Extract<ConnectionState, 'authenticating' | 'syncing' | 'online'>, sync?: { phase: SyncPhase; done: number }): void {
    if (!this.link) return;
    if (state === 'online') this.failures = 0;
    this.setStatus({ state, endpoint: endpointName(this.link.endpoint), ...(sync ? { sync } : {}) });
  }

  /** Retry now instead of waiting for the back-off (or no-op while connected or connecting). */
  reconnectNow(): void {
    if (!this.running || this.link || this.status.state !== 'offline') return;
    this.retryTimer.clear();
    void this.attempt();
  }

  /**
   * System resume or network change: ping the live link with a short timeout
   * (it is dropped only if it is really dead), or retry at once when offline.
   */
  probe(): void {
    if (this.link?.open) this.link.heartbeat.probe();
    else this.reconnectNow();
  }

  /** Stops for good; a disposed manager calls none of its hooks. */
  dispose(): void {
    this.disposed = true;
    this.stop();
    this.retryTimer.dispose();
  }

  private async attempt(): Promise<void> {
    if (!this.running || !this.rotation) return;
    const id = ++this.attemptId;
    const endpoint = this.rotation.current;
    const name = endpointName(endpoint);
    const abort = new AbortController();
    this.abort = abort;
    this.setStatus({ state: 'connecting', endpoint: name, ...(this.status.lastError ? { lastError: this.status.lastError } : {}) });
    let opened: { connection: WireConnection; hello: ServerHello };
    try {
      opened = await this.options.connector(endpoint, {
        timeoutMs: this.options.timings.connectTimeoutMs,
        signal: abort.signal,
        clientName: this.options.clientName,
        onHandshake: () => {
          if (id === this.attemptId) this.setStatus({ state: 'handshaking', endpoint: name });
        },
      });
    } catch (err) {
      if (id !== this.attemptId) return;
      this.failed(err instanceof CoreError ? err.info : { code: 'SERVER_UNREACHABLE', message: String(err) }, name);
      return;
    }
    if (id !== this.attemptId || !this.running) {
      opened.connection.close();
      return;
    }
    this.abort = undefined;
    const link = new Link(opened.connection, endpoint, opened.hello, this.options.clock, this.options.timings, () =>
      this.onLinkClosed(link, { code: 'TIMEOUT', message: 'heartbeat: server stopped answering' }),
    );
    this.link = link;
    opened.connection.on('frame', (frame) => this.onFrame(link, frame));
    opened.connection.on('close', (error) =>
      this.onLinkClosed(link, error ? { code: resultCodeName(error.code), message: error.message } : { code: 'OFFLINE', message: 'server closed the connection' }),
    );
    link.heartbeat.start();
    this.setStatus({ state: 'authenticating', endpoint: name });
    this.options.log.info({ endpoint: name }, 'connected');
    try {
      await this.hooks.onLink(link);
    } catch (err) {
      if (this.link !== link) return;
      this.onLinkClosed(link, toErrorInfo(err));
    }
  }

  private onFrame(link: Link, frame: Frame): void {
    if (this.link !== link) return;
    link.heartbeat.received();
    if (frame.command === Command.PONG) return;
    if (frame.command === Command.PING) {
      // The server may ping too: answer with its serial.
      const ping = decodePayload(PingSchema, frame.payload);
      link.send({
        serial: frame.serial,
        command: Command.PONG,
        code: 0,
        payload: encodePayload(PongSchema, { sentAt: ping.ok ? ping.value.sentAt : big(0), serverTime: big(this.options.clock.now()) }),
      });
      return;
    }
    if (isPushCommand(frame.command)) {
      this.hooks.onPush(frame, link);
      return;
    }
    if (!link.tracker.settle(frame)) this.options.log.debug({ command: frame.command, serial: frame.serial }, 'unmatched response');
  }

  private onLinkClosed(link: Link, error: ErrorInfo): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.teardown(link, error);
    this.options.log.warn({ endpoint: endpointName(link.endpoint), code: error.code }, 'connection lost');
    this.hooks.onLinkLost?.(link, error);
    if (this.running) this.failed(error, endpointName(link.endpoint));
  }

  private teardown(link: Link, error: ErrorInfo): void {
    link.markClosed();
    link.heartbeat.stop();
    link.tracker.rejectAll(new CoreError('OFFLINE', `connection lost: ${error.message}`));
    if (!link.connection.closed) link.connection.destroy();
  }

  private failed(error: ErrorInfo, endpoint: string): void {
    if (!this.running || !this.rotation) return;
    this.failures += 1;
    this.hooks.onAttemptFailed?.({ error, endpoint, consecutiveFailures: this.failures, endpoints: this.rotation.size });
    if (!this.running) return; // the hook stopped us
    this.rotation.advance();
    const delay = backoffDelay(this.failures - 1, this.options.timings.backoffInitialMs, this.options.timings.backoffMaxMs, this.random);
    const nextRetryAt = this.options.clock.now() + delay;
    this.setStatus({ state: 'offline', lastError: error, nextRetryAt, endpoint });
    this.retryTimer.set(delay, () => void this.attempt());
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    if (!this.disposed) this.hooks.onStatus?.({ ...status });
  }
}

export type { RequestShape, ResponseShape };
