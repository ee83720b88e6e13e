/**
 * Side by side with Mosquitto: `npm run bench -- peer [options]`.
 *
 * The same workload against our server and against Mosquitto (Debian's
 * package; the bench installs it when missing and it may, see
 * scripts/ensure-bench-deps.sh), each started here on a free loopback port
 * with its own configuration and temp dir, pinned with `taskset` to core 0;
 * one lean load generator (peer-loadgen.ts: raw MQTT 3.1.1 on sockets, our
 * protocol over the real transport) pinned to core 1.
 *
 * Configurations, named for what they are:
 * - `memory`: ours `--durability off` (SQLite, no sync before answering;
 *   Noise on) vs Mosquitto `persistence false`, plaintext MQTT, QoS 1.
 * - `durable`: ours durable (group-fsync: nothing is acknowledged before it
 *   is on disk) vs Mosquitto `persistence true`, which writes nothing per
 *   message (its in-memory state is saved every `autosave_interval` and at
 *   exit), so it is no more durable than `memory`: the bytes written per
 *   message below show it.
 *
 * Per configuration and broker, `--rounds` alternating runs (ours first in
 * odd rounds, Mosquitto first in even ones), each on a fresh broker:
 * deliveries per server CPU-second (utime+stime of the broker's process,
 * all threads, from /proc), wall deliveries per second, bytes written per
 * message (/proc/PID/io write_bytes and wchar), and ack latency percentiles
 * at fixed offered rates, measured from each send's scheduled time. Once per
 * broker: RSS per idle connection at `--idle` connections (ours encrypted,
 * Mosquitto plaintext), right after connecting and after 15 s idle. The
 * JSON has the runs, medians with min/max, and
 * `ratio_msgs_per_s`: ours per CPU-second over Mosquitto's.
 *
 * Options: --pairs N (100) --window N (32 in flight per sender) --seconds S (5)
 * --warmup-ms MS (1000) --rates R1,R2 (1000,2000,4000) --rate-seconds S (4)
 * --rounds N (3) --idle N (10000, 0 to skip) --configs memory,durable
 * --brokers ours,mosquitto (both; `ours` alone for an A/B of our server,
 * with no ratio) --quick (2 rounds, 2 s, 2,000 idle).
 */
import { execFileSync, fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { encodeKey } from '../../shared/node/noise/keys';
import type { Broker, Order, Report } from './peer-loadgen';
import { processUsage, threadCpuDelta, threadCpuSeconds, type Usage } from './proc';
import { freePort, scrape, startTarget } from './server';

interface Options {
  pairs: number;
  window: number;
  seconds: number;
  warmupMs: number;
  rates: number[];
  rateSeconds: number;
  rounds: number;
  idle: number;
  configs: Array<'memory' | 'durable'>;
  brokers: Array<'ours' | 'mosquitto'>;
}

function parseOptions(args: string[]): Options {
  const quick = args.includes('--quick');
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} wants a number, got ${v}`);
    return n;
  };
  const configs = (value('--configs') ?? 'memory,durable').split(',');
  for (const c of configs) if (c !== 'memory' && c !== 'durable') throw new Error(`unknown configuration ${c} (memory, durable)`);
  const brokers = (value('--brokers') ?? 'ours,mosquitto').split(',');
  for (const b of brokers) if (b !== 'ours' && b !== 'mosquitto') throw new Error(`unknown broker ${b} (ours, mosquitto)`);
  return {
    pairs: num('--pairs', 100),
    window: num('--window', 32),
    seconds: num('--seconds', quick ? 2 : 5),
    warmupMs: num('--warmup-ms', 1000),
    rates: (value('--rates') ?? (quick ? '1000' : '1000,2000,4000')).split(',').map(Number),
    rateSeconds: num('--rate-seconds', quick ? 2 : 4),
    rounds: num('--rounds', quick ? 2 : 3),
    idle: num('--idle', quick ? 2000 : 10_000),
    configs: configs as Options['configs'],
    brokers: brokers as Options['brokers'],
  };
}

const SERVER_CPU = '0';
const LOAD_CPU = '1';
/** About 100 bytes, as in the issue's measurement. */
const TEXT = 'The quick brown fox jumps over the lazy dog; 敏捷的棕色狐狸跳过了懒狗. Message payload, ~100 bytes!!';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Every thread of `pid`, present and future (threads inherit their creator's mask), on `cpu`. */
function pin(pid: number, cpu: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`mosquitto did not listen on ${port}: ${stderr()}`);
}

/** A broker under test: what the load generator connects to, and its process. */
interface Running {
  broker: Broker;
  pid: number;
  /** Ours: transactions committed and the writes they carried so far (its metrics). */
  commits?(): Promise<{ batches: number; jobs: number }>;
  stop(): Promise<void>;
}

function mosquittoBinary(): string {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (existsSync(p)) return p;
  const script = fileURLToPath(new URL('../../scripts/ensure-bench-deps.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (existsSync(p)) return p;
  throw new Error('mosquitto is not installed (scripts/ensure-bench-deps.sh)');
}

async function startMosquitto(persistence: boolean): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      // Run as whoever started the bench (as root it would switch to the mosquitto user and lose the temp dir).
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `persistence ${persistence}`,
      `persistence_location ${dir}/`,
      // No cap on QoS 1 messages in flight or queued per client: the window is the load generator's.
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(mosquittoBinary(), ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  await waitForPort(port, child, () => err);
  pin(child.pid!, SERVER_CPU);
  return {
    broker: { kind: 'mqtt', host: '127.0.0.1', port },
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startOurs(durable: boolean): Promise<Running> {
  const target = await startTarget({ groupSize: 500 }, { store: 'sqlite', sqliteThread: 'worker' }, () => Promise.reject(new Error('no PostgreSQL here')), durable ? 'group-fsync' : 'off');
  const pid = target.server.child.pid!;
  pin(pid, SERVER_CPU);
  return {
    broker: { kind: 'tern', host: target.server.host, port: target.server.port, key: encodeKey(target.server.publicKey) },
    pid,
    async commits() {
      const m = await scrape(target.metricsPort);
      return { batches: m.get('tern_write_batches_total') ?? 0, jobs: m.get('tern_write_jobs_total') ?? 0 };
    },
    stop: () => target.stop(),
  };
}

/** The load generator: a bundled child (plain node, no loader in the measured path), pinned to the other core. */
class LoadGenerator {
  private constructor(
    private readonly child: ChildProcess,
    private readonly reports: Report[],
    private wake: (() => void) | undefined,
  ) {}

  static async start(script: string): Promise<LoadGenerator> {
    const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const gen = new LoadGenerator(child, [], undefined);
    child.on('message', (r: Report) => {
      gen.reports.push(r);
      gen.wake?.();
    });
    child.on('exit', () => gen.wake?.());
    await gen.next('ready');
    pin(child.pid!, LOAD_CPU);
    return gen;
  }

  send(order: Order): void {
    this.child.send(order);
  }

  /** The next report of `type` (an 'error' report or the child's exit throws). */
  async next<T extends Report['type']>(type: T): Promise<Extract<Report, { type: T }>> {
    for (;;) {
      const i = this.reports.findIndex((r) => r.type === type || r.type === 'error');
      if (i >= 0) {
        const [r] = this.reports.splice(i, 1);
        if (r!.type === 'error') throw new Error(`load generator: ${r!.message}`);
        return r as Extract<Report, { type: T }>;
      }
      if (this.child.exitCode !== null) throw new Error(`load generator exited (${this.child.exitCode})`);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.send({ type: 'exit' } satisfies Order);
    await new Promise((r) => this.child.once('exit', r));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One run: saturation, then each fixed rate, on a fresh broker. */
async function runOnce(o: Options, script: string, start: () => Promise<Running>): Promise<Record<string, unknown>> {
  const running = await start();
  const gen = await LoadGenerator.start(script);
  try {
    gen.send({ type: 'setup', broker: running.broker, pairs: o.pairs, prefix: 'b', text: TEXT });
    await gen.next('setup-done');
    gen.send({ type: 'saturate', window: o.window, warmupMs: o.warmupMs, seconds: o.seconds });
    await gen.next('mark');
    const from: Usage = processUsage(running.pid);
    // The main thread alone (its tid is the pid): for ours the event loop, apart from the SQLite worker and V8's threads.
    const threadsFrom = threadCpuSeconds(running.pid);
    const commitsFrom = await running.commits?.();
    const result = await gen.next('saturated');
    // Trailing work (receipts of the last deliveries, the last WAL sync) belongs to these messages.
    await sleep(300);
    const to: Usage = processUsage(running.pid);
    const threads = threadCpuDelta(running.pid, threadsFrom, threadCpuSeconds(running.pid));
    const commitsTo = await running.commits?.();
    const cpu = to.cpuSeconds - from.cpuSeconds;
    const per = (x: number) => x / Math.max(1, result.delivered);
    const saturation = {
      delivered: result.delivered,
      acked: result.acked,
      seconds: round(result.seconds),
      deliveriesPerSecond: round(result.delivered / result.seconds, 0),
      serverCpuSeconds: round(cpu),
      serverCpuShare: round(cpu / result.seconds),
      deliveriesPerServerCpuSecond: round(result.delivered / Math.max(0.01, cpu), 0),
      serverMicrosPerMessage: round(per(cpu) * 1e6, 1),
      mainThreadMicrosPerMessage: round(per(threads.main) * 1e6, 1),
      // Ours: the busiest other thread is the SQLite worker; the rest are V8's platform threads (GC, compiling) and libuv's pool.
      busiestOtherThreadMicrosPerMessage: round(per(threads.others[0] ?? 0) * 1e6, 1),
      restOfThreadsMicrosPerMessage: round(per(threads.others.slice(1).reduce((a, b) => a + b, 0)) * 1e6, 1),
      otherThreadsMicrosPerMessage: threads.others.map((x) => round(per(x) * 1e6, 1)),
      writeBytesPerMessage: round(per(to.writeBytes - from.writeBytes), 0),
      wcharPerMessage: round(per(to.wchar - from.wchar), 0),
      // 4 KiB pages (write_bytes) per delivered message: the issue's write-amplification measure.
      pagesWrittenPerMessage: round(per(to.writeBytes - from.writeBytes) / 4096, 3),
      // A share well below 1 with an idle broker means the load generator (or a crowded core) set the pace.
      loadGeneratorCpuShare: round(result.loadGeneratorCpuSeconds / result.seconds),
      ...(commitsFrom && commitsTo
        ? { groupCommits: commitsTo.batches - commitsFrom.batches, writesPerGroupCommit: round((commitsTo.jobs - commitsFrom.jobs) / Math.max(1, commitsTo.batches - commitsFrom.batches), 1) }
        : {}),
    };
    const latency: Array<Record<string, number>> = [];
    for (const rate of o.rates) {
      const before = processUsage(running.pid);
      gen.send({ type: 'fixed-rate', rate, seconds: o.rateSeconds });
      const r = await gen.next('fixed-rate-done');
      await sleep(300);
      const after = processUsage(running.pid);
      const sorted = r.latenciesMs.sort((a, b) => a - b);
      latency.push({
        // At a rate below saturation group commits are smaller: what each message costs and writes then.
        serverMicrosPerMessage: round(((after.cpuSeconds - before.cpuSeconds) / Math.max(1, r.delivered)) * 1e6, 1),
        pagesWrittenPerMessage: round((after.writeBytes - before.writeBytes) / Math.max(1, r.delivered) / 4096, 3),
        offeredRate: rate,
        sent: r.sent,
        acked: r.acked,
        delivered: r.delivered,
        achievedRate: round(r.acked / r.seconds, 0),
        p50Ms: round(percentile(sorted, 50)),
        p99Ms: round(percentile(sorted, 99)),
        p999Ms: round(percentile(sorted, 99.9)),
        maxMs: round(sorted[sorted.length - 1] ?? NaN),
      });
    }
    return { saturation, latency };
  } finally {
    await gen.stop();
    await running.stop();
  }
}

/** How long the idle phase lets the broker idle before its first reading and again before its settled one. */
const IDLE_SETTLE_MS = 15_000;

/**
 * RSS per idle connection: a fresh broker, `count` connections held, RSS
 * before (after IDLE_SETTLE_MS idle), at half, at the end and after
 * IDLE_SETTLE_MS more. The average at the end includes whatever step the
 * process's memory takes once (a V8 heap that grows during the
 * handshakes), so the second half's marginal cost is reported beside it,
 * and the settled figure once the heap has shrunk back.
 */
async function idleRss(count: number, script: string, start: () => Promise<Running>): Promise<Record<string, unknown>> {
  const running = await start();
  const gens: LoadGenerator[] = [];
  try {
    // Settled like the last reading: a fresh server's heap still holds its start-up garbage until V8 shrinks it.
    await sleep(IDLE_SETTLE_MS);
    const before = rssBytes(running.pid);
    const perGenerator = 5000;
    const half = Math.ceil(count / 2);
    const connect = async (n: number) => {
      const parts = Math.ceil(n / perGenerator);
      const batch: LoadGenerator[] = [];
      for (let i = 0; i < parts; i++) batch.push(await LoadGenerator.start(script));
      gens.push(...batch);
      const results = await Promise.all(
        batch.map(async (g, i) => {
          g.send({ type: 'idle', broker: running.broker, count: Math.min(perGenerator, n - i * perGenerator), concurrency: 64 });
          return g.next('idle-connected');
        }),
      );
      await sleep(2000);
      return results;
    };
    const first = await connect(half);
    const middle = rssBytes(running.pid);
    const second = await connect(count - half);
    const after = rssBytes(running.pid);
    // Idle for a while longer: V8's memory reducer shrinks the heap the handshakes grew once allocation stops, so
    // this is what a server holding idle connections settles at (both figures are reported).
    await sleep(IDLE_SETTLE_MS);
    const settled = rssBytes(running.pid);
    const results = [...first, ...second];
    const ok = results.reduce((s, r) => s + r.ok, 0);
    const secondOk = second.reduce((s, r) => s + r.ok, 0);
    return {
      connections: ok,
      failed: results.reduce((s, r) => s + r.failed, 0),
      firstError: results.find((r) => r.firstError)?.firstError,
      rssBeforeBytes: before,
      rssAtHalfBytes: middle,
      rssAfterBytes: after,
      rssBytesPerConnection: round((after - before) / Math.max(1, ok), 0),
      marginalRssBytesPerConnection: round((after - middle) / Math.max(1, secondOk), 0),
      settleMs: IDLE_SETTLE_MS,
      rssSettledBytes: settled,
      settledRssBytesPerConnection: round((settled - before) / Math.max(1, ok), 0),
    };
  } finally {
    await Promise.all(gens.map((g) => g.stop()));
    await running.stop();
  }
}

type Stat = { median: number; min: number; max: number; runs: number[] };

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: values };
}

function summarize(runs: Array<Record<string, unknown>>): Record<string, unknown> {
  const sat = runs.map((r) => r.saturation as Record<string, number>);
  const keys = ['deliveriesPerServerCpuSecond', 'deliveriesPerSecond', 'serverMicrosPerMessage', 'mainThreadMicrosPerMessage', 'busiestOtherThreadMicrosPerMessage', 'restOfThreadsMicrosPerMessage', 'writeBytesPerMessage', 'wcharPerMessage', 'pagesWrittenPerMessage', 'serverCpuShare', 'loadGeneratorCpuShare'];
  const latency = (runs[0]!.latency as Array<Record<string, number>>).map((first, i) => {
    const at = runs.map((r) => (r.latency as Array<Record<string, number>>)[i]!);
    return {
      offeredRate: first.offeredRate!,
      achievedRate: stat(at.map((x) => x.achievedRate!)).median,
      p50Ms: stat(at.map((x) => x.p50Ms!)),
      p99Ms: stat(at.map((x) => x.p99Ms!)),
      p999Ms: stat(at.map((x) => x.p999Ms!)),
      serverMicrosPerMessage: stat(at.map((x) => x.serverMicrosPerMessage!)),
      pagesWrittenPerMessage: stat(at.map((x) => x.pagesWrittenPerMessage!)),
    };
  });
  return { ...Object.fromEntries(keys.map((k) => [k, stat(sat.map((s) => s[k]!))])), latency };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const o = parseOptions(args);
  // `mosquitto -h` prints its version and exits 3.
  const version = /mosquitto version (\S+)/.exec(spawnSync(mosquittoBinary(), ['-h'], { encoding: 'utf8' }).stdout)?.[1];
  const script = join(tmpdir(), `tern-peer-loadgen-${process.pid}.mjs`);
  await build({ entryPoints: [fileURLToPath(new URL('./peer-loadgen.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'warning' });
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || undefined;
  const results: Record<string, unknown> = { options: o, commit, mosquittoVersion: version, cpus: { server: SERVER_CPU, loadGenerator: LOAD_CPU }, loadAverage: loadavg().map((x) => round(x)) };
  try {
    const configs: Record<string, unknown> = {};
    for (const config of o.configs) {
      const durable = config === 'durable';
      const targets = {
        ours: { name: durable ? 'ours, SQLite group-fsync (durable), Noise AES-256-GCM' : 'ours, --durability off, Noise AES-256-GCM', start: () => startOurs(durable) },
        mosquitto: { name: `Mosquitto ${version ?? ''}, MQTT 3.1.1 QoS 1, plaintext, persistence ${durable}`, start: () => startMosquitto(durable) },
      };
      const runs: Record<'ours' | 'mosquitto', Array<Record<string, unknown>>> = { ours: [], mosquitto: [] };
      for (let r = 0; r < o.rounds; r++) {
        const order: Array<'ours' | 'mosquitto'> = r % 2 === 0 ? ['ours', 'mosquitto'] : ['mosquitto', 'ours'];
        for (const who of order) {
          if (!o.brokers.includes(who)) continue;
          const result = await runOnce(o, script, targets[who].start);
          runs[who].push(result);
          console.log(`${config} round ${r + 1} ${who}:`, JSON.stringify(result.saturation), JSON.stringify(result.latency));
        }
      }
      const ours = runs.ours.length > 0 ? summarize(runs.ours) : undefined;
      const mosquitto = runs.mosquitto.length > 0 ? summarize(runs.mosquitto) : undefined;
      const oursRate = (ours?.deliveriesPerServerCpuSecond as Stat | undefined)?.median;
      const theirRate = (mosquitto?.deliveriesPerServerCpuSecond as Stat | undefined)?.median;
      configs[config] = {
        ...(ours ? { ours: { name: targets.ours.name, summary: ours, runs: runs.ours } } : {}),
        ...(mosquitto ? { mosquitto: { name: targets.mosquitto.name, summary: mosquitto, runs: runs.mosquitto } } : {}),
        ...(oursRate !== undefined && theirRate !== undefined ? { ratio_msgs_per_s: round(oursRate / theirRate, 3) } : {}),
      };
      console.log(`${config}: ours ${oursRate ?? '-'} vs Mosquitto ${theirRate ?? '-'} deliveries per server CPU-second${oursRate !== undefined && theirRate !== undefined ? ` (ratio ${round(oursRate / theirRate, 3)})` : ''}`);
    }
    results.configs = configs;
    if (o.idle > 0) {
      results.idle = {
        ...(o.brokers.includes('ours') ? { ours: await idleRss(o.idle, script, () => startOurs(true)) } : {}),
        ...(o.brokers.includes('mosquitto') ? { mosquitto: await idleRss(o.idle, script, () => startMosquitto(false)) } : {}),
      };
      console.log('idle connections:', JSON.stringify(results.idle));
    }
  } finally {
    rmSync(script, { force: true });
    results.loadAverageAfter = loadavg().map((x) => round(x));
  }
  return results;
}
