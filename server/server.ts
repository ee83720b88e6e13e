/**
 * Assembles the server: data directory (lock, key, database), services,
 * the TCP listener with the Noise handshake, the idle sweep and metrics.
 * `startServer` is the programmatic API (see server/README.md).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Kicked_Reason, PROTOCOL_VERSION, ResultCode } from '../shared/protocol';
import { encodeKey, type StaticKeyPair } from '../shared/node/noise/keys';
import { acceptSecure, SecureTransportError } from '../shared/node/transport';
import { systemClock, type Clock } from './clock';
import { InProcessHub, type Bus } from './cluster/bus';
import { LocalDirectory, type SessionDirectory } from './cluster/directory';
import { NatsBus } from './cluster/nats-bus';
import { PgSessionDirectory } from './cluster/pg-directory';
import { reofferToUsers } from './cluster/resync';
import { resolveConfig, type ServerConfig } from './config';
import { ensureDataDir, loadOrCreateServerKey, lockDataDir, protectDatabaseFiles, type DataDirLock } from './datadir';
import { createLogger } from './log';
import { Metrics } from './metrics';
import { serveOps, type OpsServer, type Readiness } from './ops-http';
import { Limits } from './limits';
import { Dispatcher } from './net/dispatcher';
import { createHandlers } from './net/handlers';
import { SessionRegistry } from './net/registry';
import { Session, type FrameConnection } from './net/session';
import { AccountService } from './services/accounts';
import type { ServiceDeps } from './services/deps';
import { FriendService } from './services/friends';
import { GroupService } from './services/groups';
import { MessageService } from './services/messages';
import { PresenceService } from './services/presence';
import { DeviceService } from './services/devices';
import { SettingsService } from './services/settings';
import { ProfileService } from './services/profiles';
import { Runner } from './services/runner';
import { SyncService } from './services/sync';
import { openStore } from './storage/open';
import { AttachmentsRuntime } from './blobs/attachments-runtime';
import { AttachmentService } from './services/attachments';
import { PostgresStore } from './storage/postgres-store';
import type { Store } from './storage/store';

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** This node's id in the cluster (default: host, pid and a random part). */
  nodeId?: string;
  /** The bus to other nodes (default: from config.bus, else a private in-process hub). */
  bus?: Bus;
  /** Where sessions are recorded (default: in memory, for one node). */
  directory?: SessionDirectory;
}

/** A running server. */
export interface RunningServer {
  host: string;
  port: number;
  /** The X25519 public key clients pin (raw 32 bytes) and its base64 form. */
  publicKey: Uint8Array;
  publicKeyBase64: string;
  /** Set when the metrics and health endpoint is on (config.metricsPort). */
  metricsPort?: number;
  /** This node's id in the cluster. */
  nodeId: string;
  /** The attachment (blob) HTTP service: its port and the base URL clients are told. */
  blobPort: number;
  blobUrl: string;
  config: ServerConfig;
  /** prom-client metrics (tests and the benchmark read them with `metrics.value(name)`). */
  metrics: Metrics;
  /** What /readyz reports: each check, true when it passes. */
  readiness(): Readiness;
  /** Live connections (handshake done). */
  connectionCount(): number;
  /** Graceful stop: refuse new connections, tell clients SHUTTING_DOWN, flush, close the DB. Idempotent. */
  close(): Promise<void>;
}

class TernServer {
  readonly metrics = new Metrics();
  readonly registry: SessionRegistry;
  private readonly net: Server;
  private readonly dispatcher: Dispatcher;
  private readonly accounts: AccountService;
  private readonly limits: Limits;
  private readonly handshaking = new Set<Socket>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private nextSessionId = 1;
  private closing: Promise<void> | undefined;
  private storeOpen = true;
  private opsServer: OpsServer | undefined;
  private maintainTimer: NodeJS.Timeout | undefined;
  /** Presence announcements and resyncs under way (shutdown waits for them before closing the store). */
  private readonly background = new Set<Promise<unknown>>();
  /** Set once the services exist (the registry they need is built first). */
  private readonly devices: DeviceService;
  private presence: { service: PresenceService; run: ServiceDeps['run'] } | undefined;
  readonly attachments: AttachmentsRuntime;

  constructor(
    readonly config: ServerConfig,
    private readonly store: Store,
    private readonly key: StaticKeyPair,
    private readonly lock: DataDirLock,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly bus: Bus,
    private readonly directory: SessionDirectory,
  ) {
    // The registry's hooks use the services, which are built below (they need the registry as their notifier).
    this.registry = new SessionRegistry(
      { metrics: this.metrics, bus, directory, logger },
      { onPresence: (userId, online) => this.presenceChanged(userId, online), resync: (userIds) => this.resync(userIds) },
    );
    this.limits = new Limits(clock, config);
    const deps: ServiceDeps = { run: new Runner(store, this.registry, clock), notifier: this.registry, clock, config, logger };
    this.metrics.observe({ connections: () => this.registry.all.size, writeBatches: () => store.stats() });
    this.accounts = new AccountService(deps);
    const groups = new GroupService(deps);
    const messages = new MessageService(deps);
    this.attachments = new AttachmentsRuntime(config, deps.run, clock, logger);
    const attachments = new AttachmentService(deps, this.attachments.index, this.attachments.tokens, () => this.attachments.baseUrl);
    messages.attachments = attachments;
    const presence = new PresenceService(deps);
    this.presence = { service: presence, run: deps.run };
    this.devices = new DeviceService(deps);
    const services = {
      accounts: this.accounts,
      friends: new FriendService(deps),
      profiles: new ProfileService(deps),
      groups,
      messages,
      sync: new SyncService(deps, messages),
      presence,
      attachments,
      devices: this.devices,
      settings: new SettingsService(deps, presence),
    };
    this.dispatcher = new Dispatcher(createHandlers(services, this.registry, this.limits, clock, this.metrics), messages, clock, this.metrics, logger, config.maxInFlightPerConnection);
    this.net = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen({ host: this.config.host, port: this.config.port, backlog: 4096 }, () => {
        this.net.off('error', reject);
        resolve();
      });
    });
    this.net.on('error', (err) => this.logger.error({ err }, 'listener error'));
    try {
      await this.attachments.start();
    } catch (err) {
      await new Promise((resolve) => this.net.close(resolve));
      throw err;
    }
    const sweepMs = this.config.idleSweepIntervalMs ?? Math.max(250, Math.floor(this.config.idleTimeoutMs / 6));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
    this.maintainTimer = setInterval(() => this.maintain(), Math.max(250, Math.floor(this.config.nodeTtlMs / 3)));
    this.maintainTimer.unref();
    await this.directory.maintain(() => this.registry.localRefs());
    if (this.config.metricsPort !== undefined) {
      this.opsServer = await serveOps(this.metrics, () => this.readiness(), this.config.metricsHost, this.config.metricsPort);
      this.logger.info({ host: this.config.metricsHost, port: this.opsServer.port, paths: ['/metrics', '/healthz', '/readyz'] }, 'metrics and health endpoint listening');
    }
    return this.net.address() as AddressInfo;
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  /** The device's "last active" time in the devices list. */
  private deviceSessionEnded(userId: number, deviceId: string): void {
    this.track(this.devices.sessionEnded(userId, deviceId).catch((err: unknown) => this.logger.warn({ err, userId }, 'device last-active update failed')));
  }

  /** A user's presence may have changed: tell their friends. */
  private presenceChanged(userId: number, online: boolean): void {
    const presence = this.presence;
    if (!presence) return;
    this.track(presence.service.changed(userId, online).catch((err: unknown) => this.logger.warn({ err, userId }, 'presence update failed')));
  }

  /** Re-offers users on this node what they may have missed. */
  private resync(userIds: readonly number[]): Promise<void> {
    const presence = this.presence;
    return presence ? this.track(reofferToUsers(presence.run, presence.service, this.registry, userIds)) : Promise.resolve();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.background.add(work);
    void work.finally(() => this.background.delete(work)).catch(() => undefined);
    return work;
  }

  /** The directory's periodic work: this node's heartbeat; users of dead nodes go offline (or are back, after a partition). */
  private maintain(): void {
    if (this.closing) return;
    this.track(
      this.directory
        .maintain(() => this.registry.localRefs())
        .then((changes) => changes.forEach(({ userId, online }) => this.presenceChanged(userId, online)))
        // Kicks of sessions here that other nodes queued: those the bus lost end now.
        .then(() => this.registry.applyQueuedKicks())
        .then(
          (ended) => ended > 0 && this.logger.info({ ended }, 'sessions ended by kicks the bus did not bring'),
          (err: unknown) => this.logger.warn({ err }, 'session directory upkeep failed'),
        ),
    );
  }

  get metricsPort(): number | undefined {
    return this.opsServer?.port;
  }

  /** The store died under us (the SQLite worker exited): report not ready; requests fail until an operator restarts. */
  storeLost(): void {
    this.storeOpen = false;
  }

  /** Ready = accepting work: listening, the store open, not shutting down. */
  readiness(): Readiness {
    return { listening: this.net.listening, storeOpen: this.storeOpen, notShuttingDown: this.closing === undefined };
  }

  private onSocket(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.handshaking.add(socket);
    acceptSecure(socket, {
      staticKey: this.key,
      timeoutMs: this.config.handshakeTimeoutMs,
      maxFrameSize: this.config.maxFrameSize,
      onHello: (req) => {
        if (req.protocolVersion !== PROTOCOL_VERSION) {
          return { code: ResultCode.UNSUPPORTED_VERSION, message: `protocol version ${req.protocolVersion} is not served (this server: ${PROTOCOL_VERSION})` };
        }
        if (this.closing) return { code: ResultCode.SHUTTING_DOWN, message: 'server is stopping' };
        return {
          code: ResultCode.OK,
          response: {
            protocolVersion: PROTOCOL_VERSION,
            serverTime: BigInt(this.clock.now()),
            maxFrameSize: this.config.maxFrameSize,
            heartbeatIntervalMs: this.config.heartbeatIntervalMs,
            idleTimeoutMs: this.config.idleTimeoutMs,
          },
        };
      },
    }).then(
      (conn) => {
        this.handshaking.delete(socket);
        this.attach(conn);
      },
      (err: unknown) => {
        this.handshaking.delete(socket);
        const code = err instanceof SecureTransportError ? err.code : ResultCode.INTERNAL;
        this.metrics.handshakeFailed(code);
        this.logger.debug({ code, remote: socket.remoteAddress }, 'handshake failed');
      },
    );
  }

  private attach(conn: FrameConnection): void {
    const session = new Session(this.nextSessionId++, conn, this.clock.now());
    this.registry.add(session);
    this.metrics.connectionsTotal.inc();
    conn.on('frame', (frame) => {
      try {
        this.dispatcher.handle(session, frame);
      } catch (err) {
        // The dispatcher answers handler errors itself; this is a bug guard so one connection cannot take the process down.
        this.logger.error({ err, session: session.id }, 'dispatch failed');
        session.closeWith(ResultCode.INTERNAL, 'internal error');
      }
    });
    conn.on('close', (error) => {
      if (session.authenticated && !this.closing) this.deviceSessionEnded(session.userId, session.deviceId);
      this.registry.remove(session);
      if (error && error.code !== ResultCode.OK) this.logger.debug({ session: session.id, code: error.code }, 'connection closed with error');
    });
    if (this.closing) session.closeWith(ResultCode.SHUTTING_DOWN, 'server is stopping');
  }

  /**
   * One pass over all connections: close those silent, or not reading, for too long. No per-socket timers.
   * It also ends the sessions of accounts the operator disabled (with the admin CLI, from another process).
   */
  private sweep(): void {
    const cutoff = this.clock.now() - this.config.idleTimeoutMs;
    for (const session of this.registry.all.values()) {
      if (session.congestedSince !== 0 && session.congestedSince < cutoff) {
        this.metrics.idleReaped.inc();
        session.conn.destroy({ code: ResultCode.IDLE_TIMEOUT, message: 'peer stopped reading' });
      } else if (session.lastActivity < cutoff) {
        this.metrics.idleReaped.inc();
        session.closeWith(ResultCode.IDLE_TIMEOUT, 'connection idle for too long');
      }
    }
    const online = this.registry.onlineUserIds();
    if (online.length > 0) {
      this.accounts.disabledAmong(online).then(
        (disabled) => disabled.forEach((userId) => this.registry.kick(userId, Kicked_Reason.ACCOUNT_DISABLED, '')),
        (err: unknown) => this.logger.warn({ err }, 'checking for disabled accounts failed'),
      );
    }
    this.limits.sweep();
  }

  private inFlight(): number {
    let n = 0;
    for (const session of this.registry.all.values()) n += session.inFlight;
    return n;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.logger.info('shutting down');
    this.dispatcher.shuttingDown = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.maintainTimer) clearInterval(this.maintainTimer);
    this.registry.dispose();
    const listenerClosed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const socket of this.handshaking) socket.destroy();
    // Requests already taken finish (their writes commit, the acks go out) before clients are told to go.
    const deadline = Date.now() + this.config.shutdownGraceMs;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    while (this.inFlight() > 0 && Date.now() < deadline) await sleep(5);
    const sessions = [...this.registry.all.values()];
    for (const session of sessions) session.closeWith(ResultCode.SHUTTING_DOWN, 'server is stopping');
    while (this.registry.all.size > 0 && Date.now() < deadline) await sleep(20);
    for (const session of this.registry.all.values()) session.conn.destroy({ code: ResultCode.SHUTTING_DOWN, message: 'server is stopping' });
    await listenerClosed;
    await this.attachments.close();
    await this.opsServer?.close();
    // Logouts announce presence and read the store: let them finish, then what they queued (last_seen) commits.
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    await this.bus.close();
    await this.directory.close();
    this.storeOpen = false;
    await this.store.close();
    this.lock.release();
    this.logger.info('stopped');
    this.logger.flush?.();
  }
}

/**
 * Starts a server: locks the data directory, loads or creates the server key,
 * opens (and migrates) the database, listens. Rejects with DataDirLockedError
 * when another server holds the directory.
 */
export async function startServer(partial: Partial<ServerConfig> = {}, options: StartOptions = {}): Promise<RunningServer> {
  const config = resolveConfig(partial);
  const logger = options.logger ?? createLogger(config.logLevel);
  ensureDataDir(config.dataDir);
  const lock = lockDataDir(config.dataDir);
  let store: Store | undefined;
  let bus: Bus | undefined;
  try {
    const key = loadOrCreateServerKey(config.dataDir);
    if (config.store === 'sqlite') protectDatabaseFiles(config.dataDir);
    let onStoreLost = (err: unknown) => logger.fatal({ err }, 'the store stopped working');
    store = await openStore(config, logger, { onFatal: (err) => onStoreLost(err) });
    const nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    bus = options.bus ?? (config.bus !== undefined ? await NatsBus.connect({ url: config.bus, nodeId, logger }) : new InProcessHub().connect(nodeId));
    const directory = options.directory ?? (store instanceof PostgresStore ? new PgSessionDirectory(store.pool, nodeId, config.nodeTtlMs) : new LocalDirectory());
    const server = new TernServer(config, store, key, lock, options.clock ?? systemClock, logger, bus, directory);
    onStoreLost = (err) => {
      logger.fatal({ err }, 'the store stopped working');
      server.storeLost();
    };
    const address = await server.listen();
    logger.info({ host: address.address, port: address.port }, 'listening');
    return {
      host: address.address,
      port: address.port,
      publicKey: key.publicKey,
      publicKeyBase64: encodeKey(key.publicKey),
      metricsPort: server.metricsPort,
      nodeId: server.nodeId,
      blobPort: server.attachments.port,
      blobUrl: server.attachments.baseUrl,
      config,
      metrics: server.metrics,
      readiness: () => server.readiness(),
      connectionCount: () => server.registry.all.size,
      close: () => server.close(),
    };
  } catch (err) {
    await bus?.close();
    await store?.close();
    lock.release();
    throw err;
  }
}
