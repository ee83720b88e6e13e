/**
 * 1:1 message traffic over a set of gateway endpoints, for the cluster
 * benchmark: pairs of users, the sender of pair i on endpoint i and its
 * receiver on endpoint i + 1 (so with several nodes every message crosses
 * to another node through the store and the bus).
 *
 * - saturation: each sender keeps `window` sends in flight for `seconds`;
 *   acknowledged messages per second and server CPU per message, summed over
 *   every server-side process the meter watches (gateways, PostgreSQL, NATS);
 * - fixed rate: send -> ack, and send -> the receiver's PUSH (delivery; across
 *   nodes when there are several), p50/p90/p99.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Command, SyncEventSchema, type Frame } from '../../shared/protocol';
import type { Endpoint, TestClient } from '../server/helpers/client';
import { befriend, direct, sendText } from '../server/helpers/social';
import { latencySummary, registerUsers, round, type CpuMeter } from './lib';

export interface TrafficOptions {
  pairs: number;
  window: number;
  seconds: number;
  /** Fixed rate for the latency run; 0 = half the saturation rate. */
  rate: number;
}

interface Pairs {
  senders: TestClient[];
  receivers: TestClient[];
  /** clientMsgId -> send time (performance.now()), for delivery latency. */
  sentAt: Map<string, number>;
  delivered: number[];
}

async function makePairs(endpoints: readonly Endpoint[], prefix: string, n: number): Promise<Pairs> {
  const senders = await registerUsers(endpoints, `${prefix}s`, n);
  const receivers = await registerUsers(endpoints, `${prefix}r`, n, (i) => i + 1);
  for (let i = 0; i < n; i++) await befriend(senders[i]!, receivers[i]!);
  const pairs: Pairs = { senders, receivers, sentAt: new Map(), delivered: [] };
  for (const r of receivers) {
    r.conn.on('frame', (frame: Frame) => {
      if (frame.command !== Command.PUSH) return;
      const event = fromBinary(SyncEventSchema, frame.payload);
      if (event.event.case !== 'message') return;
      const t0 = pairs.sentAt.get(event.event.value.clientMsgId);
      if (t0 === undefined) return;
      pairs.sentAt.delete(event.event.value.clientMsgId);
      pairs.delivered.push(performance.now() - t0);
    });
    // The receivers' own record of pushes is not needed here, and grows with every message.
    r.pushes.length = 0;
  }
  await Promise.all(senders.map((s, i) => sendText(s, direct(receivers[i]!), 'warm-up')));
  return pairs;
}

async function closeAll(p: Pairs): Promise<void> {
  await Promise.all([...p.senders, ...p.receivers].map((c) => c.close()));
}

export async function measureTraffic<G extends string>(endpoints: readonly Endpoint[], meter: CpuMeter<G>, o: TrafficOptions, texts: readonly string[], prefix: string): Promise<Record<string, unknown>> {
  // Saturation.
  const sat = await makePairs(endpoints, `${prefix}a`, o.pairs);
  let acked = 0;
  let stop = false;
  let t = 0;
  const clientCpu0 = process.cpuUsage();
  meter.sample();
  const started = performance.now();
  await Promise.all(
    sat.senders.flatMap((s, i) =>
      Array.from({ length: o.window }, async () => {
        while (!stop) {
          await sendText(s, direct(sat.receivers[i]!), texts[t++ % texts.length]!);
          acked++;
          if (performance.now() - started > o.seconds * 1000) stop = true;
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = meter.sample();
  const client = process.cpuUsage(clientCpu0);
  await closeAll(sat);
  const saturation = {
    acked,
    seconds: round(seconds),
    ackedPerSecond: round(acked / seconds, 0),
    serverCpuSeconds: cpu,
    serverCpuShare: round(cpu.total / seconds),
    serverMicrosPerMessage: round((cpu.total * 1e6) / Math.max(1, acked), 0),
    messagesPerServerCpuSecond: round(acked / Math.max(0.001, cpu.total), 0),
    loadGeneratorCpuShare: round((client.user + client.system) / 1e6 / seconds),
  };

  // Fixed rate: latencies.
  const rate = o.rate > 0 ? o.rate : Math.max(10, Math.round(saturation.ackedPerSecond / 2 / 10) * 10);
  const lat = await makePairs(endpoints, `${prefix}b`, o.pairs);
  const acks: number[] = [];
  const pending: Promise<void>[] = [];
  let n = 0;
  meter.sample();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      if (elapsed >= o.seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Catch up on the schedule if a tick was late, so the offered rate stays fixed.
      for (let owed = (elapsed / 1000) * rate - n; owed >= 1; owed--) {
        const i = n++ % lat.senders.length;
        const clientMsgId = randomUUID();
        const sent = performance.now();
        lat.sentAt.set(clientMsgId, sent);
        pending.push(sendText(lat.senders[i]!, direct(lat.receivers[i]!), texts[n % texts.length]!, { clientMsgId }).then(() => void acks.push(performance.now() - sent)));
      }
    }, 5);
  });
  await Promise.all(pending);
  // The last pushes may still be on their way.
  for (let i = 0; i < 100 && lat.sentAt.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
  const fixedSeconds = (performance.now() - t0) / 1000;
  const fixedCpu = meter.sample();
  await closeAll(lat);
  return {
    endpoints: endpoints.length,
    pairs: o.pairs,
    inFlightPerSender: o.window,
    saturation,
    fixedRate: {
      offeredPerSecond: rate,
      sent: n,
      achievedPerSecond: round(n / fixedSeconds, 0),
      serverCpuShare: round(fixedCpu.total / fixedSeconds),
      serverMicrosPerMessage: round((fixedCpu.total * 1e6) / Math.max(1, n), 0),
      sendToAck: latencySummary(acks),
      // With several endpoints the receiver is on another node: this is the cross-node delivery latency.
      sendToDelivery: latencySummary(lat.delivered),
      undelivered: lat.sentAt.size,
    },
  };
}
