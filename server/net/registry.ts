/**
 * All live sessions, and the logged-in ones by user. Implements the
 * services' Notifier: pushes go to every online device of a user.
 * Presence changes (first device in, last device out) are reported to
 * `onPresence`.
 */
import { toBinary } from '@bufbuild/protobuf';
import {
  Command,
  Kicked_Reason,
  KickedSchema,
  PresenceSchema,
  TypingNoticeSchema,
  type Presence,
  type TypingNotice,
} from '../../shared/protocol';
import type { Metrics } from '../metrics';
import type { Notifier, PendingPush } from '../services/notifier';
import type { Session } from './session';

export class SessionRegistry implements Notifier {
  readonly all = new Map<number, Session>();
  private readonly byUser = new Map<number, Set<Session>>();
  onPresence: (userId: number, online: boolean) => void = () => {};

  constructor(private readonly metrics: Metrics) {}

  add(session: Session): void {
    this.all.set(session.id, session);
  }

  /** Forgets a closed session (and logs it out). */
  remove(session: Session): void {
    this.all.delete(session.id);
    this.unbind(session);
  }

  /**
   * Logs the session in. Another session of the same device is kicked; with
   * `kickOthers` every other session of the user is.
   */
  bind(session: Session, userId: number, deviceId: string, deviceName: string, kickOthers: boolean): void {
    const sessions = this.byUser.get(userId);
    for (const other of sessions ? [...sessions] : []) {
      if (other !== session && (kickOthers || other.deviceId === deviceId)) this.kickSession(other, Kicked_Reason.OTHER_LOGIN, deviceName);
    }
    session.userId = userId;
    session.deviceId = deviceId;
    session.deviceName = deviceName;
    let set = this.byUser.get(userId);
    const cameOnline = !set || set.size === 0;
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(session);
    this.metrics.sessionsAuthenticated.inc();
    if (cameOnline) this.onPresence(userId, true);
  }

  /** Logs the session out (it stays connected). */
  unbind(session: Session): void {
    if (!session.authenticated) return;
    const userId = session.userId;
    session.userId = 0;
    this.metrics.sessionsAuthenticated.dec();
    const set = this.byUser.get(userId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) {
      this.byUser.delete(userId);
      this.onPresence(userId, false);
    }
  }

  sessionsOf(userId: number): ReadonlySet<Session> | undefined {
    return this.byUser.get(userId);
  }

  isOnline(userId: number): boolean {
    return this.byUser.has(userId);
  }

  get onlineUsers(): number {
    return this.byUser.size;
  }

  pushEvents(items: readonly PendingPush[]): void {
    for (const item of items) {
      const sessions = this.byUser.get(item.userId);
      if (!sessions) continue;
      for (const session of sessions) {
        if (session.id === item.skipSession) continue;
        session.push(Command.PUSH, item.payload);
        this.metrics.pushesSent.inc();
      }
    }
  }

  typing(userIds: readonly number[], notice: TypingNotice, skipSession?: number): void {
    this.broadcast(userIds, Command.TYPING_PUSH, toBinary(TypingNoticeSchema, notice), skipSession);
  }

  presence(userIds: readonly number[], presence: Presence): void {
    this.broadcast(userIds, Command.PRESENCE_PUSH, toBinary(PresenceSchema, presence));
  }

  /** Users with at least one logged-in session. */
  onlineUserIds(): number[] {
    return [...this.byUser.keys()];
  }

  kick(userId: number, reason: Kicked_Reason, deviceName: string, keepSession?: number): void {
    for (const session of [...(this.byUser.get(userId) ?? [])]) {
      if (session.id !== keepSession) this.kickSession(session, reason, deviceName);
    }
  }

  private kickSession(session: Session, reason: Kicked_Reason, deviceName: string): void {
    session.pushMessage(Command.KICKED, KickedSchema, { reason, deviceName });
    this.unbind(session);
    session.conn.close();
  }

  private broadcast(userIds: readonly number[], command: Command, payload: Uint8Array, skipSession?: number): void {
    for (const userId of userIds) {
      for (const session of this.byUser.get(userId) ?? []) {
        if (session.id !== skipSession) session.push(command, payload);
      }
    }
  }
}
