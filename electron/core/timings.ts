/**
 * Every timing of the core, with the design guide's reliability defaults.
 * All are overridable through `createCore({ timings })` (tests shorten them).
 */
export interface Timings {
  /** Send a PING when nothing was received for this long. */
  heartbeatIntervalMs: number;
  /** A PING unanswered (no frame at all) for this long is a miss. */
  heartbeatTimeoutMs: number;
  /** Consecutive misses after which the connection is dead. */
  heartbeatMisses: number;
  /** `probe()`: timeout of each of its PINGs (same miss count). */
  probeTimeoutMs: number;
  /** TCP connect + Noise handshake. */
  connectTimeoutMs: number;
  /** Any request other than MESSAGE_SEND. */
  requestTimeoutMs: number;
  /** Reconnect back-off: the first retry waits between half and all of `backoffInitialMs`. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Outbox: wait this long for a SendMessageAck... */
  ackTimeoutMs: number;
  /** ...and retry this many times after the first attempt. */
  ackRetries: number;
  /** Outbox while disconnected: check every... */
  offlineCheckMs: number;
  /** ...this many times, then the message fails. */
  offlineChecks: number;
  /** sendTyping(true) is forwarded at most once per this interval per conversation. */
  typingThrottleMs: number;
  /** Events per SYNC page. */
  syncPageSize: number;
  /** A file transfer with no byte moving either way for this long is cut (and resumed by its retry). */
  transferStallMs: number;
  /** A cut download is retried after this, then 2, 4, 8 and 15 times as long (resuming each time; attachments/transfers.ts). */
  transferRetryMs: number;
}

export const defaultTimings: Timings = {
  heartbeatIntervalMs: 30_000,
  heartbeatTimeoutMs: 15_000,
  heartbeatMisses: 2,
  probeTimeoutMs: 3_000,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  backoffInitialMs: 1_000,
  // Capped low so a server that comes back is found within seconds (jitter still spreads a crowd over 2.5-5 s).
  backoffMaxMs: 5_000,
  ackTimeoutMs: 15_000,
  ackRetries: 3,
  offlineCheckMs: 2_000,
  offlineChecks: 15,
  typingThrottleMs: 3_000,
  syncPageSize: 500,
  transferStallMs: 30_000,
  transferRetryMs: 1_000,
};

export function resolveTimings(overrides: Partial<Timings> | undefined): Timings {
  return { ...defaultTimings, ...overrides };
}
