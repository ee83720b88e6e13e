/**
 * The session directory: which user is logged in where. Presence is derived
 * from it (a user is online while any device on any live node is), and in a
 * cluster it is the durable record that kicks are reconciled against when a
 * kick sent over the bus may have been lost.
 *
 * Two implementations: LocalDirectory (one process: memory is the truth) and
 * PgSessionDirectory (a cluster: rows in PostgreSQL plus a heartbeat per
 * node; see pg-directory.ts and docs/SCALING.md for why a table).
 */
import { Kicked_Reason } from '../../shared/protocol';
import type { KickOrder } from './envelope';

export interface SessionRef {
  userId: number;
  deviceId: string;
  nodeId: string;
  /** Node-local session id. */
  sessionId: number;
  /** The client's time of the login attempt (LoginRequest.attempt_at), 0 if not told: orders two logins of one device. */
  attemptAt: number;
}

/**
 * What recording a login did: the user came online with it, or was online
 * already; or it was not recorded because the device's recorded login is a
 * later attempt (this one was abandoned by its client: end it).
 */
export type AddOutcome = 'came-online' | 'was-online' | 'superseded';

export interface PresenceChange {
  userId: number;
  online: boolean;
}

/** What the directory says of a node's own sessions. */
export interface Reconciliation {
  /** Replaced by a login elsewhere (same device, or kick_other_sessions): end them. */
  replaced: SessionRef[];
  /** Not recorded at all (e.g. this node was taken for dead and reaped): record them again. */
  missing: SessionRef[];
}

/** A kick queued for one of this node's sessions (see SessionDirectory.kick). */
export interface KickNotice {
  userId: number;
  sessionId: number;
  reason: Kicked_Reason;
  /** The device that caused it. */
  deviceName: string;
}

export interface SessionDirectory {
  /**
   * Records a logged-in session. It replaces the record of the same device
   * (a device has one session), and with `kickOthers` marks every other
   * record of the user ended; the sessions it replaces on other nodes get a
   * kick (OTHER_LOGIN, naming `deviceName`) in their node's queue. A login
   * whose attempt is older than the device's live recorded one changes
   * nothing ('superseded').
   */
  add(ref: SessionRef, kickOthers: boolean, deviceName?: string): Promise<AddOutcome>;
  /**
   * Ends the user's sessions (of `kick.deviceId`, or all; but the kept one)
   * in the record, and queues the kick for the nodes that hold them other
   * than `kick.keepNode` (which kicks its own at once). The bus carries the
   * same kick at once; this queue is what holds when the bus lost it.
   */
  kick(userId: number, kick: KickOrder): Promise<void>;
  /** Takes the kicks queued for this node's sessions (`nodeId`: which node asks, for a directory several nodes share in one process). */
  takeKicks(nodeId: string): Promise<KickNotice[]>;
  /** Forgets a session (if its record is still this session's). Resolves true when the user has no session anywhere now. */
  remove(ref: SessionRef): Promise<boolean>;
  /** Those of `userIds` with a live session on a live node. */
  onlineAmong(userIds: readonly number[]): Promise<Set<number>>;
  /** The user's devices with a live session on a live node (the devices list shows them online). */
  onlineDevices(userId: number): Promise<Set<string>>;
  /**
   * Periodic work, given this node's sessions: in a cluster, the node's
   * heartbeat (if the directory had taken the node for dead, its sessions
   * are recorded again) and reaping nodes that stopped beating. Resolves
   * with the users whose presence changed.
   */
  maintain(local: () => readonly SessionRef[]): Promise<PresenceChange[]>;
  /** Checks this node's sessions against their records. */
  reconcile(local: readonly SessionRef[]): Promise<Reconciliation>;
  /** Stops the heartbeat. Records stay until the node is taken for dead, so clients that move to another node do not flicker offline. */
  close(): Promise<void>;
}

interface Entry {
  nodeId: string;
  sessionId: number;
  attemptAt: number;
  ended: boolean;
}

interface QueuedKick extends KickNotice {
  nodeId: string;
}

const sameSession = (e: Entry | undefined, r: SessionRef) => e !== undefined && e.nodeId === r.nodeId && e.sessionId === r.sessionId;

/** Memory is the truth: one node, or several in one process (tests). */
export class LocalDirectory implements SessionDirectory {
  private readonly byUser = new Map<number, Map<string, Entry>>();
  private kicks: QueuedKick[] = [];

  private live(userId: number): boolean {
    for (const e of this.byUser.get(userId)?.values() ?? []) if (!e.ended) return true;
    return false;
  }

  add(ref: SessionRef, kickOthers: boolean, deviceName = ''): Promise<AddOutcome> {
    const cameOnline = !this.live(ref.userId);
    let devices = this.byUser.get(ref.userId);
    if (!devices) this.byUser.set(ref.userId, (devices = new Map()));
    const recorded = devices.get(ref.deviceId);
    if (recorded && !recorded.ended && !sameSession(recorded, ref) && ref.attemptAt > 0 && recorded.attemptAt > ref.attemptAt) return Promise.resolve('superseded');
    for (const [deviceId, e] of devices) {
      if (e.nodeId !== ref.nodeId && !e.ended && (kickOthers || deviceId === ref.deviceId)) {
        this.kicks.push({ nodeId: e.nodeId, sessionId: e.sessionId, userId: ref.userId, reason: Kicked_Reason.OTHER_LOGIN, deviceName });
      }
      if (kickOthers) e.ended = true;
    }
    devices.set(ref.deviceId, { nodeId: ref.nodeId, sessionId: ref.sessionId, attemptAt: ref.attemptAt, ended: false });
    return Promise.resolve(cameOnline ? 'came-online' : 'was-online');
  }

  kick(userId: number, kick: KickOrder): Promise<void> {
    for (const [deviceId, e] of this.byUser.get(userId) ?? []) {
      if (kick.deviceId !== '' && deviceId !== kick.deviceId) continue;
      if (e.nodeId === kick.keepNode && e.sessionId === kick.keepSession) continue;
      if (e.nodeId !== kick.keepNode) this.kicks.push({ nodeId: e.nodeId, sessionId: e.sessionId, userId, reason: kick.reason, deviceName: kick.deviceName });
      e.ended = true;
    }
    return Promise.resolve();
  }

  takeKicks(nodeId: string): Promise<KickNotice[]> {
    const mine = this.kicks.filter((k) => k.nodeId === nodeId);
    this.kicks = this.kicks.filter((k) => k.nodeId !== nodeId);
    return Promise.resolve(mine.map(({ userId, sessionId, reason, deviceName }) => ({ userId, sessionId, reason, deviceName })));
  }

  remove(ref: SessionRef): Promise<boolean> {
    const devices = this.byUser.get(ref.userId);
    if (devices && sameSession(devices.get(ref.deviceId), ref)) devices.delete(ref.deviceId);
    if (devices?.size === 0) this.byUser.delete(ref.userId);
    return Promise.resolve(!this.live(ref.userId));
  }

  onlineAmong(userIds: readonly number[]): Promise<Set<number>> {
    return Promise.resolve(new Set(userIds.filter((id) => this.live(id))));
  }

  onlineDevices(userId: number): Promise<Set<string>> {
    const live = [...(this.byUser.get(userId) ?? [])].filter(([, e]) => !e.ended).map(([deviceId]) => deviceId);
    return Promise.resolve(new Set(live));
  }

  maintain(): Promise<PresenceChange[]> {
    return Promise.resolve([]);
  }

  reconcile(local: readonly SessionRef[]): Promise<Reconciliation> {
    const replaced: SessionRef[] = [];
    const missing: SessionRef[] = [];
    for (const ref of local) {
      const entry = this.byUser.get(ref.userId)?.get(ref.deviceId);
      if (!entry) missing.push(ref);
      else if (!sameSession(entry, ref) || entry.ended) replaced.push(ref);
    }
    return Promise.resolve({ replaced, missing });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
