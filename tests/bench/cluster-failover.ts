/**
 * The kill -9 failover run of the cluster benchmark, counted. Pairs of users
 * spread over three nodes send a burst of 1:1 messages; a third of the way in
 * one node is killed with SIGKILL. Its clients do what the desktop client
 * does: move to the next endpoint of their list, log in again with their
 * device token and resend whatever was not acknowledged, with the same client
 * message id (the outbox). At the end every receiver pulls its whole log, and
 * each acknowledged message must be there exactly once.
 */
import { performance } from 'node:perf_hooks';
import { Command, ResultCode, type SendMessageAck } from '../../shared/protocol';
import { RequestError, TestClient, type Endpoint } from '../server/helpers/client';
import { befriend, direct } from '../server/helpers/social';
import type { Cluster } from '../support/cluster';
import { round, sentences, sleep } from './lib';

/** Answers worth another attempt, as the client's outbox treats them. */
const RETRYABLE = new Set([ResultCode.UNAVAILABLE, ResultCode.SHUTTING_DOWN, ResultCode.INTERNAL, ResultCode.RATE_LIMITED, ResultCode.NOT_AUTHENTICATED]);

/** A user that stays logged in somewhere in the cluster: on a lost connection it moves to the next endpoint. */
export class Roamer {
  private client: TestClient | undefined;
  private connecting: Promise<TestClient> | undefined;
  private token = '';
  userId = 0;
  reconnects = 0;
  /** Longest time without a connection after losing one (ms). */
  longestGapMs = 0;

  constructor(
    private readonly endpoints: readonly Endpoint[],
    private index: number,
    readonly username: string,
    private readonly deviceId = `${username}-device`,
  ) {}

  async register(): Promise<void> {
    const c = await TestClient.connect(this.endpoints[this.index % this.endpoints.length]!);
    const login = await c.register(this.username, 'bench-password', this.deviceId);
    this.token = login.deviceToken;
    this.userId = Number(login.userId);
    this.adopt(c);
  }

  get current(): TestClient | undefined {
    return this.client && !this.client.closed ? this.client : undefined;
  }

  private adopt(c: TestClient): void {
    this.client = c;
    void c.closedPromise.then(() => {
      if (this.client === c) this.client = undefined;
    });
  }

  /** A logged-in connection, reconnecting (next endpoint first) if needed. */
  ensure(): Promise<TestClient> {
    const live = this.current;
    if (live) return Promise.resolve(live);
    this.connecting ??= this.reconnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async reconnect(): Promise<TestClient> {
    const lost = performance.now();
    for (let attempt = 0; ; attempt++) {
      this.index = (this.index + 1) % this.endpoints.length;
      try {
        const c = await TestClient.connect(this.endpoints[this.index]!);
        const res = await c.call(Command.LOGIN, {
          username: this.username,
          credential: { case: 'deviceToken', value: this.token },
          device: { deviceId: this.deviceId, deviceName: 'bench' },
          kickOtherSessions: false,
        });
        c.userId = Number(res.userId);
        this.reconnects++;
        this.longestGapMs = Math.max(this.longestGapMs, performance.now() - lost);
        this.adopt(c);
        return c;
      } catch {
        await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
  }

  /** Sends until acknowledged, resending with the same client id after errors and reconnects. */
  async sendUntilAcked(to: number, clientMsgId: string, text: string, deadline: number): Promise<SendMessageAck> {
    for (let attempt = 0; ; attempt++) {
      if (performance.now() > deadline) throw new Error(`${clientMsgId} not acknowledged in time`);
      const c = await this.ensure();
      try {
        return await c.call(Command.MESSAGE_SEND, { to: direct(to), clientMsgId, text, replyToMsgId: 0n, mentions: [] });
      } catch (err) {
        if (err instanceof RequestError && !RETRYABLE.has(err.code)) throw err;
        // A connection lost under the request, or a retryable refusal: the same id again.
        await sleep(err instanceof RequestError ? Math.max(50, err.detail.retryAfterMs) : 0);
      }
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
    this.client = undefined;
  }
}

/** Every message event of `from` in `reader`'s log: clientMsgId -> distinct server ids. */
export async function messagesFrom(reader: Roamer, fromUserId: number): Promise<Map<string, Set<bigint>>> {
  const c = await reader.ensure();
  const out = new Map<string, Set<bigint>>();
  let cursor = 0n;
  for (;;) {
    const page = await c.call(Command.SYNC, { cursor, limit: 1000, domains: [] });
    for (const e of page.events) {
      if (e.event.case !== 'message' || Number(e.event.value.senderId) !== fromUserId) continue;
      const ids = out.get(e.event.value.clientMsgId) ?? new Set<bigint>();
      ids.add(e.event.value.msgId);
      out.set(e.event.value.clientMsgId, ids);
    }
    if (!page.hasMore) return out;
    cursor = page.nextCursor;
  }
}

export interface FailoverOptions {
  pairs: number;
  messagesPerSender: number;
  windowPerSender: number;
  /** Which node dies. */
  victim: number;
}

export async function failoverRun(cluster: Cluster, o: FailoverOptions): Promise<Record<string, unknown>> {
  const endpoints = cluster.endpoints();
  const texts = sentences();
  const senders = Array.from({ length: o.pairs }, (_, i) => new Roamer(endpoints, i, `fo_s${i}`));
  const receivers = Array.from({ length: o.pairs }, (_, i) => new Roamer(endpoints, i + 1, `fo_r${i}`));
  for (const r of [...senders, ...receivers]) await r.register();
  for (let i = 0; i < o.pairs; i++) await befriend(senders[i]!.current!, receivers[i]!.current!);
  // Receivers stay online through the run (pushes acknowledged), reconnecting like the senders.
  let running = true;
  const keepAlive = receivers.map(async (r) => {
    while (running) {
      await r.ensure();
      await sleep(100);
    }
  });

  const total = o.pairs * o.messagesPerSender;
  const acked = new Set<string>();
  let killedAt = -1;
  const started = performance.now();
  const deadline = started + 180_000;
  const kill = (async () => {
    while (acked.size < total / 3) await sleep(5);
    killedAt = performance.now() - started;
    await cluster.kill(o.victim, 'SIGKILL');
  })();
  await Promise.all(
    senders.flatMap((s, i) => {
      let next = 0;
      return Array.from({ length: o.windowPerSender }, async () => {
        while (next < o.messagesPerSender) {
          const id = `fo-${i}-${next++}`;
          await s.sendUntilAcked(receivers[i]!.userId, id, texts[(i * 7919 + next) % texts.length]!, deadline);
          acked.add(id);
        }
      });
    }),
  );
  const burstSeconds = (performance.now() - started) / 1000;
  await kill;
  running = false;
  await Promise.all(keepAlive);

  let delivered = 0;
  let lost = 0;
  let duplicates = 0;
  let storedUnacked = 0;
  for (let i = 0; i < o.pairs; i++) {
    const log = await messagesFrom(receivers[i]!, senders[i]!.userId);
    for (let k = 0; k < o.messagesPerSender; k++) {
      const id = `fo-${i}-${k}`;
      const ids = log.get(id);
      if (!acked.has(id)) {
        if (ids) storedUnacked++;
        continue;
      }
      if (!ids) lost++;
      else {
        delivered++;
        duplicates += ids.size - 1;
      }
    }
  }
  const moved = [...senders, ...receivers].filter((r) => r.reconnects > 0);
  await Promise.all([...senders, ...receivers].map((r) => r.close()));
  return {
    nodes: endpoints.length,
    pairs: o.pairs,
    sent: total,
    acked: acked.size,
    delivered,
    lost,
    duplicates,
    storedButNotAcked: storedUnacked,
    killedNode: o.victim,
    killedAfterMs: round(killedAt, 0),
    burstSeconds: round(burstSeconds),
    clientsThatMoved: moved.length,
    longestReconnectMs: round(Math.max(0, ...moved.map((r) => r.longestGapMs)), 0),
  };
}
