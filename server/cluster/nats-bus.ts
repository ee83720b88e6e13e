/**
 * The bus over NATS core (at most once): a subject per user
 * (`tern.u.<userId>`) and one for the cluster (`tern.cluster`). The
 * connection never echoes a node's own messages back to it (noEcho), never
 * gives up reconnecting, and while it is down publishes are dropped rather
 * than queued without bound: after the reconnect the registry makes every
 * node's clients check for what they missed (`onDisruption`).
 */
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { clusterSubject, userSubject, type Bus, type ClusterListener, type UserListener } from './bus';
import { parseBusUrl } from './bus-url';

export interface NatsBusOptions {
  /** `nats://[user:pass@]host:port`, `tls://…`; several comma-separated for a NATS cluster. */
  url: string;
  nodeId: string;
  logger: Logger;
  /** Subject prefix (default `tern`). */
  prefix?: string;
  /** How long a login waits for its subscription to be confirmed before going ahead (ms). */
  subscribeTimeoutMs?: number;
}

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects. */
function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => (clearTimeout(timer), resolve());
    promise.then(done, done);
  });
}

export class NatsBus implements Bus {
  /** Other nodes may subscribe at any time: always publish. */
  readonly alone = false;
  onUserMessage: UserListener = () => {};
  onClusterMessage: ClusterListener = () => {};
  onDisruption: () => void = () => {};
  onConnectionChange: (connected: boolean) => void = () => {};
  private readonly subs = new Map<number, Subscription>();
  private readonly prefix: string;
  private readonly subscribeTimeoutMs: number;
  private pendingFlush: Promise<void> | undefined;
  private isConnected = true;
  private closing = false;
  private readonly watching: Promise<void>;

  private constructor(
    private readonly nc: NatsConnection,
    readonly nodeId: string,
    private readonly logger: Logger,
    options: NatsBusOptions,
  ) {
    this.prefix = options.prefix ?? 'tern';
    this.subscribeTimeoutMs = options.subscribeTimeoutMs ?? 2000;
    nc.subscribe(clusterSubject(this.prefix), {
      callback: (err, msg) => {
        if (!err) this.onClusterMessage(msg.data);
      },
    });
    this.watching = this.watch();
  }

  /** Connects; rejects (with the reason) when no server answers, so a misconfigured node does not start. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const parsed = parseBusUrl(options.url);
    const nc = await connect({
      servers: parsed.servers,
      ...(parsed.user !== undefined ? { user: parsed.user, pass: parsed.pass } : {}),
      ...(parsed.token !== undefined ? { token: parsed.token } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
      name: `tern-${options.nodeId}`,
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 250,
      // A dead server is noticed within ~2 pings even when no TCP reset arrives.
      pingInterval: 5000,
      maxPingOut: 2,
      timeout: 5000,
    });
    return new NatsBus(nc, options.nodeId, options.logger, options);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  private async watch(): Promise<void> {
    for await (const status of this.nc.status()) {
      switch (status.type) {
        case 'disconnect':
          this.isConnected = false;
          this.onConnectionChange(false);
          this.logger.warn({ node: this.nodeId }, 'bus: disconnected from NATS, reconnecting');
          break;
        case 'reconnect':
          // The client has sent our subscriptions again; once the server has
          // them (flush), nothing published from now on is missed.
          this.nc.flush().then(
            () => {
              this.isConnected = true;
              this.onConnectionChange(true);
              this.logger.warn({ node: this.nodeId, server: status.server }, 'bus: reconnected to NATS');
              this.onDisruption();
            },
            (err: unknown) => this.logger.warn({ err }, 'bus: flush after reconnect failed'),
          );
          break;
        case 'slowConsumer':
          this.logger.warn({ pending: status.pending }, 'bus: slow consumer, messages were dropped');
          this.onDisruption();
          break;
        case 'error':
          this.logger.warn({ err: status.error }, 'bus: NATS error');
          break;
        default:
          break;
      }
    }
  }

  subscribe(userId: number): Promise<void> {
    if (!this.subs.has(userId)) {
      const sub = this.nc.subscribe(userSubject(this.prefix, userId), {
        callback: (err, msg) => {
          if (err) this.logger.warn({ err, userId }, 'bus: subscription error');
          else this.onUserMessage(userId, msg.data);
        },
      });
      this.subs.set(userId, sub);
    }
    // While disconnected there is nothing to wait for: the reconnect resends
    // the subscription and the resync after it covers the gap.
    if (!this.isConnected) return Promise.resolve();
    return this.flushed();
  }

  /** One flush (PING/PONG) for all the subscriptions made in this turn, bounded in time. */
  private flushed(): Promise<void> {
    this.pendingFlush ??= new Promise<void>((resolve) => {
      queueMicrotask(() => {
        this.pendingFlush = undefined;
        void within(this.nc.flush(), this.subscribeTimeoutMs).then(resolve);
      });
    });
    return this.pendingFlush;
  }

  unsubscribe(userId: number): void {
    const sub = this.subs.get(userId);
    if (!sub) return;
    this.subs.delete(userId);
    sub.unsubscribe();
  }

  publish(userId: number, data: Uint8Array): void {
    if (this.isConnected && !this.closing) this.nc.publish(userSubject(this.prefix, userId), data);
  }

  publishCluster(data: Uint8Array): void {
    if (this.isConnected && !this.closing) this.nc.publish(clusterSubject(this.prefix), data);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.subs.clear();
    // Let what was published go out (bounded: the server may be gone), then close.
    await within(this.nc.flush(), 1000);
    await this.nc.close();
    await this.watching.catch(() => undefined);
  }
}
