/**
 * One account session: credentials, the connection loop, the cache, the
 * outbox and the sync engine of the logged-in user.
 *
 * Lifecycle: `start()` resolves at the first outcome -
 * - logged in (password, register or token): the session is live;
 * - a token login whose servers are all unreachable: the session is live
 *   offline, on the cache, and keeps reconnecting;
 * - an authentication error, or a password login that reaches no server:
 *   rejects, and the session is over.
 * Later, TOKEN_INVALID ends it with `passwordRequired`, KICKED with `kicked`;
 * neither reconnects by itself.
 */
import type { ConversationKey, ErrorInfo, Profile, ServerEndpoint, SyncPhase } from '../../shared/ipc';
import {
  Command,
  KickedSchema,
  Kicked_Reason,
  PresenceSchema,
  SyncEventSchema,
  TypingNoticeSchema,
  ErrorDetailSchema,
  decodePayload,
  type Frame,
  type LoginResponse,
} from '../../shared/protocol';
import type { AccountStore } from './account-store';
import type { Cache, OpenCache } from './cache/api';
import { profileFromWire } from './cache/wire';
import type { Clock } from './clock';
import { ConnectionManager, type Link } from './connection-manager';
import { fromWireRef, toWireRef } from './conversation-ref';
import { CoreError, toErrorInfo } from './errors';
import { emitApplied, type CoreEmitter } from './events';
import { big, num } from './ids';
import { endpointName, type Connector } from './link';
import type { Logger } from './log';
import { Outbox } from './outbox';
import { SyncEngine } from './sync';
import type { Timings } from './timings';

export type Credentials =
  | { kind: 'password'; password: string }
  | { kind: 'register'; password: string; nickname: string }
  | { kind: 'token'; token: string };

/** Authentication answers after which retrying with the same credentials is pointless. */
const FATAL_AUTH = new Set(['BAD_CREDENTIALS', 'ACCOUNT_DISABLED', 'TOKEN_INVALID', 'USERNAME_TAKEN', 'INVALID_ARGUMENT', 'ALREADY_AUTHENTICATED']);

export interface SessionContext {
  dataDir: string;
  clock: Clock;
  timings: Timings;
  connector: Connector;
  openCache: OpenCache;
  log: Logger;
  accounts: AccountStore;
  emitter: CoreEmitter;
  deviceName: string;
  clientName: string;
  random?: () => number;
}

export type EndReason = 'logout' | 'kicked' | 'password-required' | 'removed' | 'dispose';

export class AccountSession {
  readonly manager: ConnectionManager;
  userId: number | undefined;
  profile: Profile | undefined;
  cache: Cache | undefined;
  outbox: Outbox | undefined;
  sync: SyncEngine | undefined;
  private credentials: Credentials;
  private kickOthers: boolean;
  private settled = false;
  private resolveStart!: () => void;
  private rejectStart!: (err: CoreError) => void;
  private readonly started: Promise<void>;
  private sawKeyMismatch = false;
  private ended = false;
  private readonly pendingReads = new Map<ConversationKey, number>();
  private readonly unsubscribers: (() => void)[] = [];
  /** Called once when the session ends by itself (kicked, token rejected). */
  onEnded: ((reason: EndReason) => void) | undefined;

  constructor(
    private readonly ctx: SessionContext,
    readonly username: string,
    readonly endpoints: ServerEndpoint[],
    credentials: Credentials,
    options: { kickOtherSessions?: boolean; userId?: number } = {},
  ) {
    this.credentials = credentials;
    this.kickOthers = options.kickOtherSessions ?? false;
    this.userId = options.userId;
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
    });
    this.manager = new ConnectionManager({
      clock: ctx.clock,
      timings: ctx.timings,
      connector: ctx.connector,
      log: ctx.log,
      clientName: ctx.clientName,
      ...(ctx.random ? { random: ctx.random } : {}),
    });
    this.unsubscribers.push(
      this.manager.events.on('status', (status) => ctx.emitter.emit('connectionState', status)),
      this.manager.events.on('attemptFailed', (failure) => this.onAttemptFailed(failure.error, failure.consecutiveFailures, failure.endpoints)),
    );
  }

  /** Connects and logs in; see the class comment for when it resolves. */
  start(): Promise<void> {
    this.manager.start(this.endpoints, {
      onLink: (link) => this.onLink(link),
      onPush: (frame, link) => this.onPush(frame, link),
      onLinkLost: () => this.outbox?.offline(),
    });
    return this.started;
  }

  get live(): boolean {
    return this.settled && !this.ended && this.cache !== undefined;
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

  requireCache(): Cache {
    if (!this.cache || this.ended) throw new CoreError('NOT_LOGGED_IN', 'no account session');
    return this.cache;
  }

  /** MARK_READ now, or when the connection is back. */
  sendRead(key: ConversationKey, upToConvSeq: number): void {
    if (upToConvSeq <= 0) return;
    this.pendingReads.set(key, Math.max(upToConvSeq, this.pendingReads.get(key) ?? 0));
    this.flushReads();
  }

  /** Ends the session: stops the connection and closes the cache. Idempotent. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    for (const off of this.unsubscribers.splice(0)) off();
    this.manager.dispose();
    this.outbox?.dispose();
    this.sync?.dispose();
    try {
      this.cache?.close();
    } catch (err) {
      this.ctx.log.warn({ err: toErrorInfo(err) }, 'closing the cache failed');
    }
    if (!this.settled) {
      this.settled = true;
      this.rejectStart(new CoreError('NOT_LOGGED_IN', 'login cancelled'));
    }
  }

  private onAttemptFailed(error: ErrorInfo, consecutive: number, endpoints: number): void {
    if (error.code === 'SERVER_KEY_MISMATCH') this.sawKeyMismatch = true;
    if (this.settled || consecutive < endpoints) return;
    // One full round over the endpoints failed before any login.
    if (this.credentials.kind === 'token' && this.userId !== undefined && !this.sawKeyMismatch) {
      try {
        this.openCacheFor(this.userId);
        this.settle();
        this.ctx.log.info({ code: error.code }, 'servers unreachable: offline session on the cache');
        return;
      } catch (err) {
        this.fail(toErrorInfo(err));
        return;
      }
    }
    const info = this.sawKeyMismatch
      ? { code: 'SERVER_KEY_MISMATCH', message: 'the server did not prove the pinned public key' }
      : { code: error.code === 'TIMEOUT' || error.code === 'OFFLINE' ? 'SERVER_UNREACHABLE' : error.code, message: error.message };
    this.fail(info);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveStart();
  }

  private fail(info: ErrorInfo): void {
    this.manager.stop(info);
    if (!this.settled) {
      this.settled = true;
      this.ended = true;
      for (const off of this.unsubscribers.splice(0)) off();
      this.manager.dispose();
      this.rejectStart(new CoreError(info.code, info.message));
    }
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
    this.userId = userId;
    const profile = response.profile;
    this.profile = profile ? { ...profileFromWire(profile), userId } : { userId, username: this.username, nickname: this.username, avatar: '', signature: '' };
    // From now on reconnects use the (possibly rotated) device token; the password is dropped.
    this.credentials = { kind: 'token', token: response.deviceToken };
    this.kickOthers = false;
    const server = endpointName(link.endpoint);
    this.ctx.accounts.upsert({
      userId,
      username: this.profile.username || this.username,
      nickname: this.profile.nickname,
      avatar: this.profile.avatar,
      server,
      endpoints: this.endpoints,
      deviceToken: response.deviceToken,
      lastLoginAt: this.ctx.clock.now(),
    });
    const cache = this.openCacheFor(userId);
    if (profile) cache.profiles.upsert(profile);
    this.settle();
    this.ctx.log.info({ userId, endpoint: server }, 'logged in');

    this.manager.setState('syncing', { phase: 'messages', done: 0 });
    this.outbox?.online();
    await this.sync!.loginSync(link, num(response.syncHead));
    if (this.ended || this.manager.activeLink !== link) return;
    this.manager.setState('online');
    this.outbox?.online();
    this.flushReads();
    // The server does not tell us our own presence: we are online on this device.
    this.applyPresence(userId, true, this.ctx.clock.now());
    void this.refreshPresence(link);
  }

  private authenticate(link: Link): Promise<LoginResponse> {
    const device = { deviceId: this.ctx.accounts.deviceId, deviceName: this.ctx.deviceName };
    const creds = this.credentials;
    switch (creds.kind) {
      case 'register':
        return link.request(Command.REGISTER, { username: this.username, password: creds.password, nickname: creds.nickname, device });
      case 'password':
        return link.request(Command.LOGIN, {
          username: this.username,
          credential: { case: 'password', value: creds.password },
          device,
          kickOtherSessions: this.kickOthers,
        });
      case 'token':
        return link.request(Command.LOGIN, {
          username: this.username,
          credential: { case: 'deviceToken', value: creds.token },
          device,
          kickOtherSessions: this.kickOthers,
        });
    }
  }

  private authRejected(info: ErrorInfo): void {
    const wasToken = this.credentials.kind === 'token';
    const userId = this.userId;
    if (info.code === 'TOKEN_INVALID' && wasToken) {
      if (userId !== undefined) this.ctx.accounts.setToken(userId, undefined);
      const passwordInfo = { code: 'PASSWORD_REQUIRED', message: 'the stored sign-in expired: enter the password' };
      if (!this.settled) {
        this.ctx.emitter.emit('passwordRequired', { username: this.username });
        this.fail(passwordInfo);
        return;
      }
      this.manager.stop(passwordInfo);
      this.ctx.emitter.emit('passwordRequired', { username: this.username });
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
    this.ctx.emitter.emit('sessionEnded', { reason });
    const onEnded = this.onEnded;
    this.close();
    onEnded?.(reason);
  }

  private openCacheFor(userId: number): Cache {
    if (this.cache) return this.cache;
    const { cache, recovered } = this.ctx.openCache({ dir: this.ctx.dataDir, userId, log: this.ctx.log, now: () => this.ctx.clock.now() });
    this.cache = cache;
    if (recovered) {
      this.ctx.log.warn({ code: recovered.error.code, recoveredOutbox: recovered.recoveredOutbox }, 'cache was unusable: moved aside and rebuilt');
      this.ctx.emitter.emit('cacheRecovered', { error: recovered.error, movedTo: recovered.movedTo, recoveredOutbox: recovered.recoveredOutbox });
    }
    const emitter = this.ctx.emitter;
    this.outbox = new Outbox({
      cache,
      clock: this.ctx.clock,
      timings: this.ctx.timings,
      log: this.ctx.log,
      link: () => this.readyLink(),
      changed: (change) => {
        emitApplied(emitter, change);
        if (change.conversations && change.conversations.length > 0) emitter.emit('unreadTotal', { total: cache.conversations.unreadTotal() });
      },
    });
    this.sync = new SyncEngine({
      cache,
      log: this.ctx.log,
      pageSize: this.ctx.timings.syncPageSize,
      changed: (changes) => {
        emitApplied(emitter, changes);
        // A friendship made while online: learn the new friend's presence now, not at the next login.
        const newFriends = (changes.friends ?? []).filter((f) => f.state === 'friend').map((f) => f.userId);
        const link = this.readyLink();
        if (newFriends.length > 0 && link && this.manager.current.state === 'online') void this.refreshPresence(link, newFriends);
      },
      progress: (phase: SyncPhase, done: number) => {
        if (this.manager.current.state === 'syncing') this.manager.setState('syncing', { phase, done });
      },
    });
    this.outbox.start();
    return cache;
  }

  private onPush(frame: Frame, link: Link): void {
    switch (frame.command) {
      case Command.PUSH: {
        const event = decodePayload(SyncEventSchema, frame.payload);
        if (!event.ok || !this.sync) return;
        this.sync.push(link, frame.serial, event.value).catch((err: unknown) => this.ctx.log.warn({ err: toErrorInfo(err) }, 'push not applied'));
        return;
      }
      case Command.KICKED: {
        const kicked = decodePayload(KickedSchema, frame.payload);
        const reason = kicked.ok ? kicked.value.reason : Kicked_Reason.UNSPECIFIED;
        const mapped = reason === Kicked_Reason.ACCOUNT_DISABLED ? 'account-disabled' : reason === Kicked_Reason.TOKEN_REVOKED ? 'token-revoked' : 'other-login';
        if (mapped === 'token-revoked' && this.userId !== undefined) this.ctx.accounts.setToken(this.userId, undefined);
        this.ctx.log.warn({ reason: mapped }, 'kicked');
        this.manager.stop({ code: 'KICKED', message: `signed out: ${mapped}` });
        this.ctx.emitter.emit('kicked', { reason: mapped, ...(kicked.ok && kicked.value.deviceName ? { deviceName: kicked.value.deviceName } : {}) });
        this.endByServer('kicked');
        return;
      }
      case Command.TYPING_PUSH: {
        const notice = decodePayload(TypingNoticeSchema, frame.payload);
        if (!notice.ok) return;
        const key = fromWireRef(notice.value.conversation);
        if (key) this.ctx.emitter.emit('typing', { key, userId: num(notice.value.userId), typing: notice.value.typing });
        return;
      }
      case Command.PRESENCE_PUSH: {
        const presence = decodePayload(PresenceSchema, frame.payload);
        if (!presence.ok) return;
        this.applyPresence(num(presence.value.userId), presence.value.online, num(presence.value.lastSeen));
        return;
      }
      case Command.ERROR: {
        const detail = decodePayload(ErrorDetailSchema, frame.payload);
        this.ctx.log.warn({ code: detail.ok ? detail.value.code : undefined }, 'server error frame');
        return;
      }
      default:
        return;
    }
  }

  private applyPresence(userId: number, online: boolean, lastSeen: number): void {
    if (!this.cache) return;
    if (this.cache.contacts.setPresence(userId, online, lastSeen)) this.ctx.emitter.emit('presence', { userId, online, lastSeen });
  }

  /** Learns the presence of `userIds` (e.g. group members who are not friends) when online; never throws. */
  async queryPresence(userIds: number[]): Promise<void> {
    const link = this.readyLink();
    if (link && userIds.length > 0) await this.refreshPresence(link, userIds);
  }

  /** Asks the server who of `userIds` (default: all friends) is online. */
  private async refreshPresence(link: Link, userIds?: number[]): Promise<void> {
    const cache = this.cache;
    if (!cache) return;
    const ids = (
      userIds ??
      cache.contacts
        .listFriends()
        .filter((c) => c.state === 'friend')
        .map((c) => c.userId)
    ).slice(0, 1000);
    if (ids.length === 0) return;
    try {
      const list = await link.request(Command.PRESENCE_QUERY, { userIds: ids.map((id) => big(id)) });
      for (const p of list.presences) this.applyPresence(num(p.userId), p.online, num(p.lastSeen));
    } catch (err) {
      this.ctx.log.debug({ err: toErrorInfo(err) }, 'presence query failed');
    }
  }

  private flushReads(): void {
    const link = this.readyLink();
    if (!link) return;
    for (const [key, seq] of [...this.pendingReads]) {
      link
        .request(Command.MARK_READ, { conversation: toWireRef(key), upToConvSeq: big(seq) })
        .then(() => {
          if (this.pendingReads.get(key) === seq) this.pendingReads.delete(key);
        })
        .catch((err: unknown) => this.ctx.log.debug({ err: toErrorInfo(err) }, 'mark read not sent'));
    }
  }
}
