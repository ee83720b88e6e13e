/**
 * All live sessions of this node, and the logged-in ones by user. Implements
 * the services' Notifier for the whole cluster: a push goes to this node's
 * sessions of the user directly and, through the bus, to the other nodes
 * that hold sessions of that user (each subscribes to the users it holds).
 * Kicks travel the same way; the session directory (a table in a cluster)
 * is the record that presence is read from and kicks are checked against.
 *
 * Nothing here relies on the bus delivering: pushes are hints over stored,
 * sequenced events. When a node may have lost bus messages it says so on the
 * cluster subject, and every node re-offers each of its users their newest
 * event (a client behind it sees the gap and pulls), refreshes their
 * friends' presence, ends sessions the directory says were replaced and
 * records again those it lacks.
 */
import { toBinary } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import {
  Command,
  Kicked_Reason,
  KickedSchema,
  PresenceSchema,
  TypingNoticeSchema,
  type Presence,
  type TypingNotice,
} from '../../shared/protocol';
import type { Bus } from '../cluster/bus';
import type { AddOutcome, SessionDirectory, SessionRef } from '../cluster/directory';
import { decodeMessage, encodeMessage, Kind, type KickOrder } from '../cluster/envelope';
import type { Metrics } from '../metrics';
import type { Notifier, PendingPush } from '../services/notifier';
import type { Session } from './session';

export interface RegistryDeps {
  metrics: Metrics;
  bus: Bus;
  directory: SessionDirectory;
  logger: Logger;
}

/** What the registry asks of its owner (given to the constructor). */
export interface RegistryHooks {
  /** The user came online (first session anywhere) or went offline (last one gone): tell their friends. */
  onPresence(userId: number, online: boolean): void;
  /** Re-offers users on this node what they may have missed (the owner has the store): their newest event, their friends' presence. */
  resync(userIds: readonly number[]): Promise<void>;
}

/** Resyncs asked for within this long are done once. */
const RESYNC_COALESCE_MS = 200;

/**
 * Of two logins of one device, is `a` the later? By the client's attempt times
 * when both are told (they order logins on any nodes), else by session id
 * (the order this node accepted the connections in).
 */
function isNewerLogin(a: { id: number; attemptAt: number }, b: { id: number; attemptAt: number }): boolean {
  if (a.attemptAt > 0 && b.attemptAt > 0 && a.attemptAt !== b.attemptAt) return a.attemptAt > b.attemptAt;
  return a.id > b.id;
}

/** Ends a login that a later login of its device replaced before it was bound (it never counted as logged in). */
function endStaleLogin(session: Session, deviceName: string): void {
  session.pushMessage(Command.KICKED, KickedSchema, { reason: Kicked_Reason.OTHER_LOGIN, deviceName });
  session.conn.close();
}

export class SessionRegistry implements Notifier {
  readonly all = new Map<number, Session>();
  private readonly byUser = new Map<number, Set<Session>>();
  /** Sessions whose directory record is being written (a resync must not take them for replaced). */
  private readonly binding = new Set<Session>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncing: Promise<void> = Promise.resolve();
  private readonly metrics: Metrics;
  private readonly bus: Bus;
  private readonly directory: SessionDirectory;
  private readonly logger: Logger;

  constructor(
    deps: RegistryDeps,
    private readonly hooks: RegistryHooks,
  ) {
    ({ metrics: this.metrics, bus: this.bus, directory: this.directory, logger: this.logger } = deps);
    this.bus.onUserMessage = (userId, data) => {
      this.metrics.busReceived.inc();
      this.fromBus(userId, data);
    };
    this.bus.onClusterMessage = (data) => {
      const message = decodeMessage(data);
      if (message?.kind === Kind.RESYNC) this.scheduleResync();
    };
    this.metrics.busConnected.set(this.bus.connected ? 1 : 0);
    this.bus.onConnectionChange = (connected) => this.metrics.busConnected.set(connected ? 1 : 0);
    this.bus.onDisruption = () => {
      // Others may have missed what this node published, and this node what they did.
      this.bus.publishCluster(encodeMessage({ kind: Kind.RESYNC, fromNode: this.bus.nodeId }));
      this.scheduleResync();
    };
  }

  get nodeId(): string {
    return this.bus.nodeId;
  }

  add(session: Session): void {
    this.all.set(session.id, session);
  }

  /** Forgets a closed session (and logs it out). */
  remove(session: Session): void {
    this.all.delete(session.id);
    this.unbind(session);
  }

  /**
   * Logs the session in: records it in the directory (a failure there fails
   * the login, with nothing changed), subscribes to the user's subject, then
   * ends the sessions it replaces (the same device anywhere, or with
   * `kickOthers` every other session of the user).
   *
   * Of two connections of one device here, the newer one (the higher session
   * id) is the one its client uses: a client opens a new connection only after
   * giving up on the old one, whose login the server may still be working on
   * (a slow server, a link gone half-open). So a login never ends a newer
   * connection of its own device: if one is already here, this stale login is
   * ended instead; and two that bind at once leave the newer one standing.
   * (Before, the login that finished first ended the other, and a client whose
   * abandoned login finished last was signed out by its own device.)
   *
   * Across nodes, session ids say nothing, so the client's own time of each
   * login attempt (`attemptAt`, LoginRequest.attempt_at) orders them: the
   * directory refuses to record a login older than the device's recorded one
   * (the stale login is ended here, nothing kicked), and a node keeps a
   * session of the device newer than the login a bus kick names.
   */
  async bind(session: Session, userId: number, deviceId: string, deviceName: string, kickOthers: boolean, attemptAt = 0): Promise<void> {
    const newer = this.newerOfDevice(session, userId, deviceId, attemptAt);
    if (newer) {
      endStaleLogin(session, newer.deviceName);
      return;
    }
    session.userId = userId;
    session.deviceId = deviceId;
    session.deviceName = deviceName;
    session.attemptAt = attemptAt;
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(session);
    this.metrics.sessionsAuthenticated.inc();
    const subscribed = set.size === 1 ? this.bus.subscribe(userId) : undefined;
    const ref = this.refOf(session);
    let added: AddOutcome;
    this.binding.add(session);
    try {
      added = await this.directory.add(ref, kickOthers, deviceName);
    } catch (err) {
      if (session.userId === userId) this.detach(session);
      throw err;
    } finally {
      this.binding.delete(session);
    }
    if (session.userId !== userId) {
      // Closed or logged out while the directory was written: undo that record too.
      if (added !== 'superseded') void this.forget(ref);
      return;
    }
    if (added === 'superseded') {
      // A later login of this device is recorded (on another node): this one was abandoned by its client.
      this.detach(session);
      endStaleLogin(session, deviceName);
      return;
    }
    for (const other of [...set]) {
      if (other === session) continue;
      // A newer connection of this device that began binding meanwhile ends this one when its own bind resumes.
      if (other.deviceId === deviceId && isNewerLogin(other, session)) continue;
      if (kickOthers || other.deviceId === deviceId) this.kickSession(other, Kicked_Reason.OTHER_LOGIN, deviceName);
    }
    const kick: KickOrder = {
      reason: Kicked_Reason.OTHER_LOGIN,
      deviceName,
      deviceId: kickOthers ? '' : deviceId,
      keepNode: this.bus.nodeId,
      keepSession: session.id,
      keepDevice: deviceId,
      keepAttemptAt: attemptAt,
    };
    this.publish(userId, encodeMessage({ kind: Kind.KICK, kick }));
    await subscribed;
    if (added === 'came-online') this.hooks.onPresence(userId, true);
  }

  /** A connection of `deviceId` opened after `session`'s (or whose login attempt is later) and logged in (or logging in) here. */
  private newerOfDevice(session: Session, userId: number, deviceId: string, attemptAt: number): Session | undefined {
    const login = { id: session.id, attemptAt };
    for (const other of this.byUser.get(userId) ?? []) if (other.deviceId === deviceId && isNewerLogin(other, login)) return other;
    return undefined;
  }

  /** Logs the session out (it stays connected). */
  unbind(session: Session): void {
    if (!session.authenticated) return;
    const ref = this.refOf(session);
    this.detach(session);
    void this.forget(ref);
  }

  /** Local state only: the session is no longer the user's. */
  private detach(session: Session): void {
    const userId = session.userId;
    session.userId = 0;
    this.metrics.sessionsAuthenticated.dec();
    const set = this.byUser.get(userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) {
      this.byUser.delete(userId);
      this.bus.unsubscribe(userId);
    }
  }

  private async forget(ref: SessionRef): Promise<void> {
    try {
      if (await this.directory.remove(ref)) this.hooks.onPresence(ref.userId, false);
    } catch (err) {
      // The record stays until this node's own shutdown, or its death is noticed.
      this.logger.warn({ err, userId: ref.userId }, 'session directory: removal failed');
    }
  }

  sessionsOf(userId: number): ReadonlySet<Session> | undefined {
    return this.byUser.get(userId);
  }

  /** Users logged in on this node. */
  get onlineUsers(): number {
    return this.byUser.size;
  }

  /** Users with at least one logged-in session on this node. */
  onlineUserIds(): number[] {
    return [...this.byUser.keys()];
  }

  onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
    return this.directory.onlineAmong(userIds);
  }

  pushEvents(items: readonly PendingPush[]): void {
    // A single node (no bus peer) skips building envelopes nobody would read: one copy of each payload fewer.
    const alone = this.bus.alone;
    for (const item of items) {
      this.deliverLocal(item.userId, Command.PUSH, item.payload, item.skipSession);
      if (!alone) this.publish(item.userId, encodeMessage({ kind: Kind.EVENT, payload: item.payload }));
    }
  }

  typing(userIds: readonly number[], notice: TypingNotice, skipSession?: number): void {
    this.broadcast(userIds, Kind.TYPING, toBinary(TypingNoticeSchema, notice), skipSession);
  }

  presence(userIds: readonly number[], presence: Presence): void {
    this.broadcast(userIds, Kind.PRESENCE, toBinary(PresenceSchema, presence));
  }

  /** Ends the user's sessions on every node (all but `keepSession` of this node), telling them why. */
  kick(userId: number, reason: Kicked_Reason, deviceName: string, keepSession?: number): void {
    this.kickEverywhere(userId, { reason, deviceName, deviceId: '', keepNode: this.bus.nodeId, keepSession: keepSession ?? 0 });
  }

  kickDevice(userId: number, deviceId: string, reason: Kicked_Reason, deviceName: string): void {
    // keepSession 0 keeps nothing: session ids start at 1.
    this.kickEverywhere(userId, { reason, deviceName, deviceId, keepNode: this.bus.nodeId, keepSession: 0 });
  }

  /**
   * Here at once; on other nodes through the bus (at once, if it arrives)
   * and through the directory's queue, which they take at their next
   * heartbeat (`applyQueuedKicks`): a revocation holds without the bus.
   */
  private kickEverywhere(userId: number, kick: KickOrder): void {
    this.kickLocal(userId, kick);
    this.publish(userId, encodeMessage({ kind: Kind.KICK, kick }));
    this.directory.kick(userId, kick).catch((err: unknown) => this.logger.warn({ err, userId }, 'session directory: recording a kick failed'));
  }

  /** Ends this node's sessions that the directory's queue says were kicked elsewhere (whether or not the bus told us already). */
  async applyQueuedKicks(): Promise<number> {
    let ended = 0;
    for (const kick of await this.directory.takeKicks(this.bus.nodeId)) {
      const session = this.all.get(kick.sessionId);
      if (!session || session.userId !== kick.userId || this.binding.has(session)) continue;
      this.kickSession(session, kick.reason, kick.deviceName);
      ended++;
    }
    return ended;
  }

  onlineDevices(userId: number): Promise<Set<string>> {
    return this.directory.onlineDevices(userId);
  }

  /** This node's logged-in sessions as directory records (those whose login is complete). */
  localRefs(): SessionRef[] {
    const refs: SessionRef[] = [];
    for (const session of this.all.values()) if (session.authenticated && !this.binding.has(session)) refs.push(this.refOf(session));
    return refs;
  }

  private refOf(session: Session): SessionRef {
    return { userId: session.userId, deviceId: session.deviceId, nodeId: this.bus.nodeId, sessionId: session.id, attemptAt: session.attemptAt };
  }

  /** Waits for a resync in progress (tests, shutdown). */
  settled(): Promise<void> {
    return this.resyncing;
  }

  dispose(): void {
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
  }

  private kickLocal(userId: number, kick: KickOrder): void {
    for (const session of [...(this.byUser.get(userId) ?? [])]) {
      if (kick.keepNode === this.bus.nodeId && session.id === kick.keepSession) continue;
      if (kick.deviceId !== '' && session.deviceId !== kick.deviceId) continue;
      // A late kick from a login its client abandoned: this session is the device's later login, and stays.
      if (session.deviceId === kick.keepDevice && kick.keepAttemptAt && session.attemptAt > kick.keepAttemptAt) continue;
      this.kickSession(session, kick.reason, kick.deviceName);
    }
  }

  private kickSession(session: Session, reason: Kicked_Reason, deviceName: string): void {
    session.pushMessage(Command.KICKED, KickedSchema, { reason, deviceName });
    this.unbind(session);
    session.conn.close();
  }

  /** To this node's sessions of the user only. */
  deliverLocal(userId: number, command: Command, payload: Uint8Array, skipSession?: number): void {
    const sessions = this.byUser.get(userId);
    if (!sessions) return;
    for (const session of sessions) {
      if (session.id === skipSession) continue;
      session.push(command, payload);
      if (command === Command.PUSH) this.metrics.pushesSent.inc();
    }
  }

  private broadcast(userIds: readonly number[], kind: Kind.TYPING | Kind.PRESENCE, payload: Uint8Array, skipSession?: number): void {
    const command = kind === Kind.TYPING ? Command.TYPING_PUSH : Command.PRESENCE_PUSH;
    const message = this.bus.alone ? undefined : encodeMessage({ kind, payload });
    for (const userId of userIds) {
      this.deliverLocal(userId, command, payload, skipSession);
      if (message) this.publish(userId, message);
    }
  }

  /** To the other nodes holding sessions of the user. */
  private publish(userId: number, data: Uint8Array): void {
    if (this.bus.alone) return;
    this.bus.publish(userId, data);
    this.metrics.busPublished.inc();
  }

  /** A message from another node for the sessions of `userId` here. */
  private fromBus(userId: number, data: Uint8Array): void {
    const message = decodeMessage(data);
    if (!message) {
      this.logger.warn({ userId, bytes: data.length }, 'bus: malformed message dropped');
      return;
    }
    switch (message.kind) {
      case Kind.EVENT:
        return this.deliverLocal(userId, Command.PUSH, message.payload);
      case Kind.TYPING:
        return this.deliverLocal(userId, Command.TYPING_PUSH, message.payload);
      case Kind.PRESENCE:
        return this.deliverLocal(userId, Command.PRESENCE_PUSH, message.payload);
      case Kind.KICK:
        return this.kickLocal(userId, message.kick);
      case Kind.RESYNC:
        return;
    }
  }

  private scheduleResync(): void {
    if (this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      this.resyncing = this.resyncing.then(() => this.runResync());
    }, RESYNC_COALESCE_MS);
    this.resyncTimer.unref();
  }

  /** What a node does when bus messages may have been lost (see the header). */
  private async runResync(): Promise<void> {
    this.metrics.busResyncs.inc();
    const started = Date.now();
    const users = this.onlineUserIds();
    try {
      const { replaced, missing } = await this.directory.reconcile(this.localRefs());
      for (const ref of replaced) {
        const session = this.all.get(ref.sessionId);
        if (session && session.userId === ref.userId && !this.binding.has(session)) this.kickSession(session, Kicked_Reason.OTHER_LOGIN, '');
      }
      for (const ref of missing) {
        if (this.all.get(ref.sessionId)?.userId !== ref.userId) continue;
        const added = await this.directory.add(ref, false);
        if (added === 'came-online') this.hooks.onPresence(ref.userId, true);
        const session = this.all.get(ref.sessionId);
        if (added === 'superseded' && session && session.userId === ref.userId && !this.binding.has(session)) this.kickSession(session, Kicked_Reason.OTHER_LOGIN, '');
      }
      await this.hooks.resync(users.filter((id) => this.byUser.has(id)));
      this.logger.info({ users: users.length, ms: Date.now() - started }, 'bus: resync done');
    } catch (err) {
      this.logger.warn({ err }, 'bus: resync failed');
    }
  }
}
