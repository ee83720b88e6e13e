/**
 * One account session: the credentials, the connection loop and, once the
 * user id is known, the open account (`AccountScope`: cache, outbox, sync).
 *
 * Lifecycle: `start()` resolves at the first outcome -
 * - logged in (password, register or token): the session is live;
 * - a token login whose servers are all unreachable: the session is live
 *   offline, on the cache, and keeps reconnecting;
 * - an authentication error, or a password login that reaches no server:
 *   rejects, and the session is over.
 * Later, TOKEN_INVALID ends it with `passwordRequired`, KICKED with `kicked`;
 * neither reconnects by itself, and the owner hears of it through the
 * `onEnded` hook it gave to the constructor.
 */
import type { ProxyConfig } from '../../../shared/node/proxy/tunnel';
import type { ConnectionStatus, ErrorInfo, MediaSettings, Profile, ServerEndpoint, SessionEndReason } from '../../../shared/ipc';
import { Command, KickedSchema, Kicked_Reason, decodePayload, type Frame, type LoginResponse } from '../../../shared/protocol';
import { DisposableStore, type Disposable } from '../../../shared/util/disposable';
import type { AccountStore } from '../account-store';
import type { OpenCache } from '../cache/api';
import type { Clock } from '../clock';
import { ConnectionManager, type AttemptFailure, type Link } from '../connection-manager';
import { CoreError, errorCodes, toErrorInfo } from '../errors';
import type { CoreEmitter } from '../events';
import { endpointName, type Connector } from '../link';
import type { Logger } from '../log';
import type { Timings } from '../timings';
import { kickReason, num, profileFromWire } from '../wire';
import { AccountScope } from './account-scope';

export type Credentials =
  | { kind: 'password'; password: string }
  | { kind: 'register'; password: string; nickname: string }
  | { kind: 'token'; token: string };

/** Authentication answers after which retrying with the same credentials is pointless. */
const FATAL_AUTH = errorCodes('BAD_CREDENTIALS', 'ACCOUNT_DISABLED', 'TOKEN_INVALID', 'USERNAME_TAKEN', 'INVALID_ARGUMENT', 'ALREADY_AUTHENTICATED');

/** The platform shown beside this device in the account's device list. */
const DEVICE_PLATFORM = ({ darwin: 'macos', win32: 'windows' } as Record<string, string>)[process.platform] ?? process.platform;

let lastAttemptAt = 0;
/**
 * LoginRequest.attempt_at: this device's login attempts in order (the wall clock, never repeating or going back
 * within the process). The server keeps the session of the later attempt when one it gave up on finishes last.
 */
function nextAttemptAt(now: number): bigint {
  lastAttemptAt = Math.max(Math.floor(now), lastAttemptAt + 1);
  return BigInt(lastAttemptAt);
}

export interface SessionDeps {
  dataDir: string;
  clock: Clock;
  timings: Timings;
  connector: Connector;
  openCache: OpenCache;
  log: Logger;
  accounts: AccountStore;
  events: CoreEmitter;
  deviceName: string;
  clientName: string;
  /** The device's media settings (auto-download, cache cap). */
  media(): MediaSettings;
  /** The proxy file transfers go through (the settings' one, read per request). */
  proxy(): ProxyConfig | undefined;
  random?: () => number;
}

export interface SessionParams {
  username: string;
  endpoints: ServerEndpoint[];
  credentials: Credentials;
  kickOtherSessions?: boolean;
  /** Known from a previous login on this device (a token login can then go offline on the cache). */
  userId?: number;
}

export interface SessionHooks {
  /** The server ended the session (kicked, stored sign-in rejected). The session is closed already. */
  onEnded(reason: Exclude<SessionEndReason, 'logout'>): void;
}

export class AccountSession implements Disposable {
  readonly username: string;
  readonly endpoints: ServerEndpoint[];
  private readonly store = new DisposableStore();
  /** Holds the open account. Added to `store` before the connection, so disposing stops the connection first, then closes the account. */
  private readonly accountStore = this.store.add(new DisposableStore());
  private readonly manager: ConnectionManager;
  private credentials: Credentials;
  private kickOthers: boolean;
  private knownUserId: number | undefined;
  private loginProfile: Profile | undefined;
  private account: AccountScope | undefined;
  private settled = false;
  private ended = false;
  private sawKeyMismatch = false;
  private resolveStart!: () => void;
  private rejectStart!: (err: CoreError) => void;
  private readonly started: Promise<void>;

  constructor(
    private readonly deps: SessionDeps,
    params: SessionParams,
    private readonly hooks: SessionHooks,
  ) {
    this.username = params.username;
    this.endpoints = params.endpoints;
    this.credentials = params.credentials;
    this.kickOthers = params.kickOtherSessions ?? false;
    this.knownUserId = params.userId;
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
    });
    this.manager = this.store.add(
      new ConnectionManager(
        { clock: deps.clock, timings: deps.timings, connector: deps.connector, log: deps.log, clientName: deps.clientName, ...(deps.random ? { random: deps.random } : {}) },
        {
          onLink: (link) => this.onLink(link),
          onPush: (frame, link) => this.onPush(frame, link),
          onLinkLost: () => this.account?.offline(),
          onStatus: (status) => deps.events.emit('connectionState', status),
          onAttemptFailed: (failure) => this.onAttemptFailed(failure),
        },
      ),
    );
  }

  /** Connects and logs in; see the file comment for when it resolves. */
  start(): Promise<void> {
    this.manager.start(this.endpoints);
    return this.started;
  }

  get live(): boolean {
    return this.settled && !this.ended && this.account !== undefined;
  }

  get userId(): number | undefined {
    return this.knownUserId;
  }

  /** The profile the login answered with (the cache's copy, kept current by sync, is preferred). */
  get profile(): Profile | undefined {
    return this.loginProfile;
  }

  /** The open account, while the session is live. */
  get scope(): AccountScope | undefined {
    return this.ended ? undefined : this.account;
  }

  get connection(): ConnectionStatus {
    return this.manager.current;
  }

  /**
   * The authenticated link (state syncing or online), if its connection is
   * still open: a connection can close a moment before the manager hears of
   * it, and callers that retry on OFFLINE must not get it back meanwhile.
   */
  readyLink(): Link | undefined {
    const state = this.manager.current.state;
    const link = state === 'syncing' || state === 'online' ? this.manager.activeLink : undefined;
    return link?.open ? link : undefined;
  }

  requireLink(): Link {
    const link = this.readyLink();
    if (!link) throw new CoreError('OFFLINE', 'not connected to the server');
    return link;
  }

  /** Retry now instead of waiting for the back-off. */
  reconnectNow(): void {
    this.manager.reconnectNow();
  }

  /** System resume or network change: find a dead connection in seconds, or retry now. */
  probe(): void {
    this.manager.probe();
  }

  /** The account follows a new server list from the next attempt on. */
  setEndpoints(endpoints: readonly ServerEndpoint[]): void {
    this.manager.setEndpoints(endpoints);
  }

  /** Ends the session: stops the connection and closes the cache. Idempotent. */
  dispose(): void {
    if (this.ended) return;
    this.ended = true;
    this.store.dispose();
    if (!this.settled) {
      this.settled = true;
      this.rejectStart(new CoreError('NOT_LOGGED_IN', 'login cancelled'));
    }
  }

  private onAttemptFailed({ error, consecutiveFailures, endpoints }: AttemptFailure): void {
    if (error.code === 'SERVER_KEY_MISMATCH') this.sawKeyMismatch = true;
    if (this.settled || consecutiveFailures < endpoints) return;
    // One full round over the endpoints failed before any login.
    if (this.credentials.kind === 'token' && this.knownUserId !== undefined && !this.sawKeyMismatch) {
      try {
        this.openAccount(this.knownUserId);
        this.settle();
        this.deps.log.info({ code: error.code }, 'servers unreachable: offline session on the cache');
      } catch (err) {
        this.fail(toErrorInfo(err));
      }
      return;
    }
    const info: ErrorInfo = this.sawKeyMismatch
      ? { code: 'SERVER_KEY_MISMATCH', message: 'the server did not prove the pinned public key' }
      : { code: error.code === 'TIMEOUT' || error.code === 'OFFLINE' ? 'SERVER_UNREACHABLE' : error.code, message: error.message };
    this.fail(info);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveStart();
  }

  /** Stops the loop; before the first outcome it also ends the session with `info`. */
  private fail(info: ErrorInfo): void {
    this.manager.stop(info);
    if (this.settled) return;
    this.settled = true;
    this.ended = true;
    this.store.dispose();
    this.rejectStart(new CoreError(info.code, info.message));
  }

  private async onLink(link: Link): Promise<void> {
    let response: LoginResponse;
    try {
      response = await this.authenticate(link);
    } catch (err) {
      const info = toErrorInfo(err);
      if (FATAL_AUTH.has(info.code)) this.authRejected(info);
      throw err;
    }
    if (this.ended) return;
    const userId = num(response.userId);
    this.knownUserId = userId;
    const wireProfile = response.profile;
    this.loginProfile = wireProfile
      ? { ...profileFromWire(wireProfile), userId }
      : { userId, username: this.username, nickname: this.username, avatar: '', signature: '' };
    // From now on reconnects use the (possibly rotated) device token; the password is dropped.
    this.credentials = { kind: 'token', token: response.deviceToken };
    this.kickOthers = false;
    const server = endpointName(link.endpoint);
    this.deps.accounts.upsert({
      userId,
      username: this.loginProfile.username || this.username,
      nickname: this.loginProfile.nickname,
      avatar: this.loginProfile.avatar,
      server,
      endpoints: this.endpoints,
      deviceToken: response.deviceToken,
      lastLoginAt: this.deps.clock.now(),
    });
    const account = this.openAccount(userId);
    if (wireProfile) account.cache.profiles.upsert(wireProfile);
    account.attachments.setLimits({ maxFileBytes: num(response.maxAttachmentSize), maxPerMessage: response.maxAttachmentsPerMessage });
    this.settle();
    this.deps.log.info({ userId, endpoint: server }, 'logged in');

    this.manager.setState('syncing', { phase: 'messages', done: 0 });
    await account.synchronise(link, num(response.syncHead));
    if (this.ended || this.manager.activeLink !== link) return;
    this.manager.setState('online');
    account.online(link, userId);
  }

  private authenticate(link: Link): Promise<LoginResponse> {
    const device = { deviceId: this.deps.accounts.deviceId, deviceName: this.deps.deviceName, platform: DEVICE_PLATFORM };
    const creds = this.credentials;
    const attemptAt = nextAttemptAt(this.deps.clock.now());
    switch (creds.kind) {
      case 'register':
        return link.request(Command.REGISTER, { username: this.username, password: creds.password, nickname: creds.nickname, device });
      case 'password':
        return link.request(Command.LOGIN, { username: this.username, credential: { case: 'password', value: creds.password }, device, kickOtherSessions: this.kickOthers, attemptAt });
      case 'token':
        return link.request(Command.LOGIN, { username: this.username, credential: { case: 'deviceToken', value: creds.token }, device, kickOtherSessions: this.kickOthers, attemptAt });
    }
  }

  private authRejected(info: ErrorInfo): void {
    if (info.code === 'TOKEN_INVALID' && this.credentials.kind === 'token') {
      if (this.knownUserId !== undefined) this.deps.accounts.setToken(this.knownUserId, undefined);
      const passwordInfo: ErrorInfo = { code: 'PASSWORD_REQUIRED', message: 'the stored sign-in expired: enter the password' };
      this.deps.events.emit('passwordRequired', { username: this.username });
      if (!this.settled) {
        this.fail(passwordInfo);
        return;
      }
      this.manager.stop(passwordInfo);
      this.endByServer('password-required');
      return;
    }
    if (!this.settled) {
      this.fail(info);
      return;
    }
    this.manager.stop(info);
  }

  private endByServer(reason: 'kicked' | 'password-required'): void {
    this.deps.events.emit('sessionEnded', { reason });
    this.dispose();
    this.hooks.onEnded(reason);
  }

  private openAccount(userId: number): AccountScope {
    if (this.account) return this.account;
    const { deps } = this;
    const { cache, recovered } = deps.openCache({ dir: deps.dataDir, userId, log: deps.log, now: () => deps.clock.now() });
    if (recovered) {
      deps.log.warn({ code: recovered.error.code, recoveredOutbox: recovered.recoveredOutbox }, 'cache was unusable: moved aside and rebuilt');
      deps.events.emit('cacheRecovered', { error: recovered.error, movedTo: recovered.movedTo, recoveredOutbox: recovered.recoveredOutbox });
    }
    this.account = this.accountStore.add(
      new AccountScope({
        cache,
        clock: deps.clock,
        timings: deps.timings,
        log: deps.log,
        events: deps.events,
        link: () => this.readyLink(),
        isOnline: () => this.manager.current.state === 'online',
        syncProgress: (phase, done) => {
          if (this.manager.current.state === 'syncing') this.manager.setState('syncing', { phase, done });
        },
        media: deps.media,
        proxy: deps.proxy,
      }),
    );
    return this.account;
  }

  private onPush(frame: Frame, link: Link): void {
    if (frame.command !== Command.KICKED) {
      this.account?.handlePush(frame, link);
      return;
    }
    const kicked = decodePayload(KickedSchema, frame.payload);
    const reason = kickReason.fromWire(kicked.ok ? kicked.value.reason : Kicked_Reason.UNSPECIFIED) ?? 'other-login';
    if (reason === 'token-revoked' && this.knownUserId !== undefined) this.deps.accounts.setToken(this.knownUserId, undefined);
    this.deps.log.warn({ reason }, 'kicked');
    this.manager.stop({ code: 'KICKED', message: `signed out: ${reason}` });
    this.deps.events.emit('kicked', { reason, ...(kicked.ok && kicked.value.deviceName ? { deviceName: kicked.value.deviceName } : {}) });
    this.endByServer('kicked');
  }
}
