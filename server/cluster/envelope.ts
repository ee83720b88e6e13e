/**
 * What nodes tell each other on a user's bus subject: one kind byte, then the
 * body. Events, typing and presence carry the protobuf payload the client
 * gets (encoded once by the sending node, forwarded as is); a kick carries a
 * small JSON object. Node-wide messages (the cluster subject) use the same
 * framing. Everything read from the bus is checked: a malformed message is
 * dropped, never delivered half-understood.
 */
import { Kicked_Reason } from '../../shared/protocol';

export enum Kind {
  /** A SyncEvent (PUSH payload) for the user's devices. */
  EVENT = 1,
  /** A TypingNotice (TYPING_PUSH payload). */
  TYPING = 2,
  /** A Presence (PRESENCE_PUSH payload). */
  PRESENCE = 3,
  /** End some of the user's sessions (another login, account disabled). */
  KICK = 4,
  /** Cluster subject: a node lost bus messages; every node re-offers each of its users their newest event. */
  RESYNC = 5,
}

export interface KickOrder {
  reason: Kicked_Reason;
  /** The device that caused it, shown to the kicked client. */
  deviceName: string;
  /** Only sessions of this device id; '' = every session of the user. */
  deviceId: string;
  /** The session that must stay (the new login): its node and session id. */
  keepNode: string;
  keepSession: number;
  /**
   * A login's kick: its device and the client's attempt time (LoginRequest.attempt_at). A node keeps its
   * session of that device whose attempt is later (the kick comes from a login the client abandoned).
   * Absent in other kicks and from older nodes.
   */
  keepDevice?: string;
  keepAttemptAt?: number;
}

export type ClusterMessage =
  | { kind: Kind.EVENT | Kind.TYPING | Kind.PRESENCE; payload: Uint8Array }
  | { kind: Kind.KICK; kick: KickOrder }
  | { kind: Kind.RESYNC; fromNode: string };

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

export function encodeMessage(message: ClusterMessage): Uint8Array {
  switch (message.kind) {
    case Kind.EVENT:
    case Kind.TYPING:
    case Kind.PRESENCE:
      return withKind(message.kind, message.payload);
    case Kind.KICK:
      return withKind(Kind.KICK, utf8.encode(JSON.stringify(message.kick)));
    case Kind.RESYNC:
      return withKind(Kind.RESYNC, utf8.encode(JSON.stringify({ fromNode: message.fromNode })));
  }
}

function withKind(kind: Kind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + body.length);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

const reasons = new Set<number>([Kicked_Reason.OTHER_LOGIN, Kicked_Reason.ACCOUNT_DISABLED, Kicked_Reason.TOKEN_REVOKED]);

function json(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fromUtf8.decode(data.subarray(1)));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The message, or undefined when it is not one this node understands. */
export function decodeMessage(data: Uint8Array): ClusterMessage | undefined {
  if (data.length === 0) return undefined;
  const kind = data[0];
  switch (kind) {
    case Kind.EVENT:
    case Kind.TYPING:
    case Kind.PRESENCE:
      return { kind, payload: data.subarray(1) };
    case Kind.KICK: {
      const o = json(data);
      if (!o) return undefined;
      const { reason, deviceName, deviceId, keepNode, keepSession, keepDevice, keepAttemptAt } = o;
      if (typeof reason !== 'number' || !reasons.has(reason)) return undefined;
      if (!isString(deviceName, 256) || !isString(deviceId, 256) || !isString(keepNode, 256)) return undefined;
      if (!isCount(keepSession)) return undefined;
      const kick: KickOrder = { reason: reason as Kicked_Reason, deviceName, deviceId, keepNode, keepSession };
      if (keepDevice !== undefined || keepAttemptAt !== undefined) {
        if (!isString(keepDevice, 256) || !isCount(keepAttemptAt)) return undefined;
        kick.keepDevice = keepDevice;
        kick.keepAttemptAt = keepAttemptAt;
      }
      return { kind, kick };
    }
    case Kind.RESYNC: {
      const o = json(data);
      if (!o || !isString(o.fromNode, 256)) return undefined;
      return { kind, fromNode: o.fromNode };
    }
    default:
      return undefined;
  }
}
