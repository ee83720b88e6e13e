/**
 * Prometheus metrics with prom-client. Two registries:
 *  - one per process (`processRegistry`): prom-client's defaults (CPU,
 *    memory, heap, GC, handles, event-loop lag) and `tern_build_info`;
 *    created on first use, since several servers may share a process (tests);
 *  - one per server (`Metrics`): connections, requests by command with their
 *    latency, errors by code, messages, pushes, idle reaping, group commits.
 * `serveOps` exposes both on `/metrics`, next to `/healthz` and `/readyz`
 * (server/ops-http.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { Command, ResultCode } from '../shared/protocol';
import { buildInfo } from './build-info';
import { LatencyHistogram, type LatencySeries } from './latency-histogram';

let processRegistry: Registry | undefined;

/** prom-client's process and Node metrics, and the build info; one set per process. */
export function processMetrics(): Registry {
  if (processRegistry) return processRegistry;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = buildInfo();
  new Gauge({
    name: 'tern_build_info',
    help: 'Build of the running server (value is always 1).',
    labelNames: ['version', 'commit', 'node'],
    registers: [registry],
  }).set({ version: info.version, commit: info.commit, node: process.versions.node }, 1);
  processRegistry = registry;
  return registry;
}

/** Latency buckets, seconds: 0.25 ms to 10 s. */
const latencyBuckets = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

function commandName(command: number): string {
  return Command[command] ?? String(command);
}

function codeName(code: number): string {
  return ResultCode[code] ?? String(code);
}

/** Seconds since `startedMs` (a performance.now() reading: a plain number, where hrtime.bigint() allocated a BigInt per request). */
function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1e3;
}

export interface MetricsSources {
  /** Live secure connections (read on scrape). */
  connections(): number;
  /** Group commits, the writes they carried, WAL syncs (read on scrape). */
  writeBatches(): { batches: number; jobs: number; syncs: number; threadCpuSeconds?: number };
}

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricsSources = { connections: () => 0, writeBatches: () => ({ batches: 0, jobs: 0, syncs: 0 }) };

  readonly connectionsTotal = this.counter('tern_connections_total', 'Secure connections accepted since start.');
  readonly sessionsAuthenticated = new Gauge({ name: 'tern_sessions_authenticated', help: 'Connections with a logged-in user.', registers: [this.registry] });
  readonly handshakeFailures = new Counter({ name: 'tern_handshake_failures_total', help: 'Handshakes that failed, by result code.', labelNames: ['code'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'tern_errors_total', help: 'Error answers sent, by result code.', labelNames: ['code'], registers: [this.registry] });
  readonly messagesStored = this.counter('tern_messages_stored_total', 'Messages durably stored and acknowledged.');
  readonly messagesDuplicate = this.counter('tern_messages_duplicate_total', 'Resends answered with the original ack.');
  readonly pushesSent = this.counter('tern_pushes_sent_total', 'PUSH frames sent.');
  readonly pushAcks = this.counter('tern_push_acks_total', 'PUSH_ACK frames received.');
  readonly idleReaped = this.counter('tern_idle_reaped_total', 'Connections closed for silence or for not reading.');
  readonly busPublished = this.counter('tern_bus_published_total', 'Messages published to the bus for other nodes (pushes, typing, presence, kicks).');
  readonly busReceived = this.counter('tern_bus_received_total', 'Messages received from other nodes for sessions on this one.');
  readonly busResyncs = this.counter('tern_bus_resyncs_total', 'Resyncs run because bus messages may have been lost (this node or another reconnected).');
  readonly busConnected = new Gauge({ name: 'tern_bus_connected', help: '1 while the bus (NATS) is reachable; 0 while reconnecting.', registers: [this.registry] });
  /** Arrival of a request to its answer on the connection (includes waiting for the durable commit). */
  readonly requestDuration = new LatencyHistogram(
    'tern_request_duration_seconds',
    'Time from a request frame arriving to its answer being written, by command (includes the wait for a durable commit).',
    latencyBuckets,
    'command',
    this.registry,
  );
  /** MESSAGE_SEND of a new message to its ack: what a sender waits for. */
  private readonly sendAckDuration = new LatencyHistogram(
    'tern_send_ack_duration_seconds',
    'Time from a MESSAGE_SEND arriving to the ack of the newly stored message being written (group commit and WAL fsync included; resends and refusals excluded).',
    latencyBuckets,
    undefined,
    this.registry,
  ).seriesOf();

  constructor() {
    const sources = () => this.sources;
    new Gauge({
      name: 'tern_connections_open',
      help: 'Secure connections currently open.',
      registers: [this.registry],
      collect() {
        this.set(sources().connections());
      },
    });
    const fromBatches = (name: string, help: string, pick: (b: ReturnType<MetricsSources['writeBatches']>) => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          // A counter kept elsewhere (the batcher's own tally): report its current total.
          this.reset();
          this.inc(pick(sources().writeBatches()));
        },
      });
    fromBatches('tern_write_batches_total', 'Group-commit transactions.', (b) => b.batches);
    fromBatches('tern_write_jobs_total', 'Writes carried by group commits.', (b) => b.jobs);
    fromBatches('tern_wal_syncs_total', 'fdatasync calls on the WAL (durability group-fsync).', (b) => b.syncs);
    fromBatches('tern_store_thread_cpu_seconds_total', 'CPU time of the SQLite worker thread (0 when SQLite runs on the event loop, or with PostgreSQL).', (b) => b.threadCpuSeconds ?? 0);
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  /** Where scrape-time values come from (the server sets this once it is assembled). */
  observe(sources: MetricsSources): void {
    this.sources = sources;
  }

  error(code: number): void {
    this.errors.inc({ code: codeName(code) });
  }

  handshakeFailed(code: number): void {
    this.handshakeFailures.inc({ code: codeName(code) });
  }

  /** requestDuration's series by command number (no name lookup per observation). */
  private readonly byCommand = new Map<number, LatencySeries>();

  /**
   * A request's answer was written; `startedMs` (performance.now()) is when its frame arrived. `newMessage`: the
   * answer is the ack of a newly stored message (also timed as such). The clock is read once for both.
   */
  answered(command: number, startedMs: number, newMessage = false): void {
    let series = this.byCommand.get(command);
    if (!series) this.byCommand.set(command, (series = this.requestDuration.seriesOf(commandName(command))));
    const seconds = secondsSince(startedMs);
    series.observe(seconds);
    if (newMessage) this.sendAckDuration.observe(seconds);
  }

  /** The current value of a counter or gauge (tests, benchmarks). */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) throw new Error(`no metric ${name}`);
    const { values } = await metric.get();
    const wanted = Object.entries(labels);
    const match = values.find((v) => !('metricName' in v && v.metricName !== name) && wanted.every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l));
    return match?.value ?? 0;
  }

  /** Prometheus text: this server's metrics, then the process's. */
  async render(): Promise<string> {
    return (await this.registry.metrics()) + '\n' + (await processMetrics().metrics());
  }
}

export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;
