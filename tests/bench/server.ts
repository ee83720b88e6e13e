/**
 * Server benchmark, encryption (Noise) and durable storage on:
 *   npm run bench -- server [--out FILE] [--quick] [--idle N] [--seconds S] [--rate R] [--group N]
 *                           [--store sqlite|postgres] [--sqlite-thread worker|main]
 *   npm run bench -- server --storage [--rounds N] [--seconds S] [--configs sqlite-main,sqlite-worker,postgres]
 *
 * `--storage` runs only the saturation phase, for each store configuration
 * in turn (SQLite on the event loop, SQLite on its worker thread,
 * PostgreSQL), alternating for N rounds, each on a fresh server: msg/s, CPU
 * per message of the server (all threads; its event loop; the SQLite worker)
 * and of PostgreSQL (every process of a private instance, fsync on), and
 * bytes written per message (/proc/PID/io write_bytes and wchar of the
 * server, plus PostgreSQL's, a CHECKPOINT included so its data-file writes
 * count too).
 *
 * - idle: N idle secure connections held by one server process (child), opened
 *   by several load-generator processes; server RSS / heap delta per connection.
 * - throughput: acknowledged 1:1 messages per second at saturation (senders keep
 *   a window of requests in flight; receivers online and acknowledging pushes).
 * - latency: p50/p99 of send -> ack at a fixed rate (default: half the saturation rate).
 * - fanout: one message to an N-member group, all online: time until the last
 *   member has the push.
 * The server runs in its own process; the load (except idle) runs in this one,
 * so on a 2-core machine each side has about one core.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Command, SyncEventSchema } from '../../shared/protocol';
import { encodeKey } from '../../shared/node/noise/keys';
import { fromBinary } from '@bufbuild/protobuf';
import pg from 'pg';

import { spawnServer, type ServerProcess } from '../server/helpers/process';
import { removeDir, tempDir, testScrypt } from '../server/helpers/server';
import { befriend, direct, group, sendText } from '../server/helpers/social';
import { startPostgres, type PostgresInstance } from '../support/postgres';
import { percentile, registerUsers, round, scrape, sentences, sleep } from './lib';
import { cpuSeconds, processUsage, treeUsage, type Usage } from './proc';
import { pgMark, pgReport, type PgMark } from './pg-stats';
import { uuidv7 } from '../../electron/core/uuidv7';

/** The peer benchmark reads metrics through here. */
export { scrape };

interface Options {
  idle: number;
  seconds: number;
  rate: number;
  groupSize: number;
  pairs: number;
  window: number;
}

function parseOptions(args: string[]): Options {
  const quick = args.includes('--quick');
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
  };
  return {
    idle: value('--idle', quick ? 2000 : 19_000),
    seconds: value('--seconds', quick ? 2 : 5),
    rate: value('--rate', 0), // 0: half the measured saturation rate
    groupSize: value('--group', quick ? 100 : 500),
    pairs: value('--pairs', 20),
    window: value('--window', 64),
  };
}

/** The server under test: its process, its metrics port, and PostgreSQL when that is its store. */
export interface Target {
  server: ServerProcess;
  metricsPort: number;
  postgres?: { pid: number; url: string; dataDir: string };
}

interface CpuMark {
  server: Usage;
  /** The server's main thread (its thread id is the pid): the event loop, which bounds throughput. */
  serverMain: number;
  /** The SQLite worker thread (the server's own metric; 0 without one). */
  storeThread: number;
  postgres?: Usage;
  /** PostgreSQL's WAL, buffer and per-process write counters (pg-stats.ts). */
  pg?: PgMark;
  client: number;
  at: number;
  batches: number;
  jobs: number;
}

/**
 * Counters now. The server is idle at both marks (setup done / the window's acks all in), so first wait out the 0.5 s refresh of the SQLite worker's CPU figure.
 * PostgreSQL writes its data files at checkpoints: one is taken at each mark, so the setup's pages are written before the first and the run's by the second.
 */
async function cpuMark(t: Target): Promise<CpuMark> {
  if (t.postgres) await postgresQuery(t.postgres.url, 'CHECKPOINT');
  await sleep(600);
  const usage = process.cpuUsage();
  const m = await scrape(t.metricsPort);
  const pid = t.server.child.pid!;
  return {
    server: processUsage(pid),
    serverMain: cpuSeconds(pid, pid),
    storeThread: m.get('tern_store_thread_cpu_seconds_total') ?? 0,
    postgres: t.postgres && treeUsage(t.postgres.pid),
    pg: t.postgres && (await pgMark(t.postgres.url, t.postgres.pid, t.postgres.dataDir)),
    client: (usage.user + usage.system) / 1e6,
    at: performance.now(),
    batches: m.get('tern_write_batches_total') ?? 0,
    jobs: m.get('tern_write_jobs_total') ?? 0,
  };
}

/** Where the time and the writes went between two marks, per message. */
async function cpuReport(t: Target, from: CpuMark, messages: number): Promise<Record<string, unknown>> {
  const to = await cpuMark(t);
  const wall = (to.at - from.at) / 1000 - 0.6;
  const per = (x: number) => x / Math.max(1, messages);
  const serverCpu = to.server.cpuSeconds - from.server.cpuSeconds;
  const mainCpu = to.serverMain - from.serverMain;
  const postgresCpu = to.postgres && from.postgres ? to.postgres.cpuSeconds - from.postgres.cpuSeconds : 0;
  const written = to.server.writeBytes - from.server.writeBytes + (to.postgres && from.postgres ? to.postgres.writeBytes - from.postgres.writeBytes : 0);
  const wchar = to.server.wchar - from.server.wchar + (to.postgres && from.postgres ? to.postgres.wchar - from.postgres.wchar : 0);
  return {
    serverCpuSeconds: round(serverCpu),
    serverCpuShare: round(serverCpu / wall),
    // The rest of the server's CPU: the SQLite worker, libuv's thread pool (WAL fsyncs), GC helpers.
    serverMainThreadCpuShare: round(mainCpu / wall),
    clientCpuShare: round((to.client - from.client) / wall),
    serverMicrosPerMessage: round(per(serverCpu) * 1e6, 0),
    messagesPerServerCpuSecond: round(messages / Math.max(0.001, serverCpu), 0),
    mainThreadMicrosPerMessage: round(per(mainCpu) * 1e6, 0),
    storeThreadMicrosPerMessage: round(per(to.storeThread - from.storeThread) * 1e6, 0),
    postgresMicrosPerMessage: round(per(postgresCpu) * 1e6, 0),
    // Every server-side process: the server and, with that store, PostgreSQL.
    serverSideMicrosPerMessage: round(per(serverCpu + postgresCpu) * 1e6, 0),
    messagesPerServerSideCpuSecond: round(messages / Math.max(0.001, serverCpu + postgresCpu), 0),
    writeBytesPerMessage: round(per(written), 0),
    wcharPerMessage: round(per(wchar), 0),
    writesPerGroupCommit: round((to.jobs - from.jobs) / Math.max(1, to.batches - from.batches)),
    ...(from.pg && to.pg && t.postgres ? { postgresWrites: pgReport(from.pg, to.pg, messages, t.postgres.dataDir) } : {}),
  };
}

async function postgresQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function idlePhase(server: ServerProcess, metricsPort: number, target: number): Promise<Record<string, unknown>> {
  const perProcess = 5000;
  const processes = Math.ceil(target / perProcess);
  // Plain node on a bundle: with the tsx loader, Node 20 children sometimes stall for good in the ESM
  // hooks' synchronous channel (main thread parked in a futex while sockets hold unread data).
  const script = join(tmpdir(), `tern-loadgen-${process.pid}.mjs`);
  await build({ entryPoints: [fileURLToPath(new URL('./server-loadgen.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'warning' });
  const children: ChildProcess[] = [];
  await sleep(500);
  const before = await scrape(metricsPort);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: processes }, (_, i) => {
      const count = Math.min(perProcess, target - i * perProcess);
      const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      return new Promise<{ ok: number; failed: number; ms: number; firstError?: string }>((resolve) => {
        child.on('message', (msg: { type: string; ok: number; failed: number; ms: number; firstError?: string }) => {
          if (msg.type === 'ready') child.send({ type: 'connect', host: server.host, port: server.port, key: encodeKey(server.publicKey), count, concurrency: 64 });
          else if (msg.type === 'connected') resolve(msg);
        });
      });
    }),
  );
  const connectSeconds = (performance.now() - started) / 1000;
  await sleep(2000);
  const after = await scrape(metricsPort);
  const held = after.get('tern_connections_open') ?? 0;
  const rss = (after.get('process_resident_memory_bytes') ?? 0) - (before.get('process_resident_memory_bytes') ?? 0);
  const heap = (after.get('nodejs_heap_size_used_bytes') ?? 0) - (before.get('nodejs_heap_size_used_bytes') ?? 0);
  for (const child of children) child.send({ type: 'exit' });
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  rmSync(script, { force: true });
  for (let i = 0; i < 100 && ((await scrape(metricsPort)).get('tern_connections_open') ?? 0) > 0; i++) await sleep(100);
  const ok = results.reduce((s, r) => s + r.ok, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  return {
    target,
    loadProcesses: processes,
    connected: ok,
    failed,
    firstError: results.find((r) => r.firstError)?.firstError,
    heldByServer: held,
    connectSeconds: round(connectSeconds),
    handshakesPerSecond: round(ok / connectSeconds, 0),
    serverRssDeltaBytes: rss,
    serverHeapDeltaBytes: heap,
    rssBytesPerConnection: round(rss / Math.max(1, held), 0),
    heapBytesPerConnection: round(heap / Math.max(1, held), 0),
  };
}

async function throughputPhase(t: Target, o: Options, texts: string[]): Promise<Record<string, unknown>> {
  const { server } = t;
  const senders = await registerUsers([server], 'tp_s', o.pairs);
  const receivers = await registerUsers([server], 'tp_r', o.pairs);
  for (let i = 0; i < o.pairs; i++) await befriend(senders[i]!, receivers[i]!);
  // Warm-up.
  await Promise.all(senders.map((s, i) => sendText(s, direct(receivers[i]!), 'warm-up')));
  let acked = 0;
  let stop = false;
  let next = 0;
  const mark = await cpuMark(t);
  const started = performance.now();
  await Promise.all(
    senders.flatMap((s, i) =>
      Array.from({ length: o.window }, async () => {
        while (!stop) {
          // Time-ordered client ids, as the app's outbox makes them (UUIDv7).
          await sendText(s, direct(receivers[i]!), texts[next++ % texts.length]!, { clientMsgId: uuidv7() });
          acked++;
          if (performance.now() - started > o.seconds * 1000) stop = true;
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = await cpuReport(t, mark, acked);
  await Promise.all([...senders, ...receivers].map((c) => c.close()));
  return { pairs: o.pairs, inFlightPerSender: o.window, seconds: round(seconds), acked, ackedPerSecond: round(acked / seconds, 0), ...cpu };
}

async function latencyPhase(t: Target, o: Options, texts: string[]): Promise<Record<string, unknown>> {
  const { server } = t;
  const senders = await registerUsers([server], 'lat_s', o.pairs);
  const receivers = await registerUsers([server], 'lat_r', o.pairs);
  for (let i = 0; i < o.pairs; i++) await befriend(senders[i]!, receivers[i]!);
  await Promise.all(senders.map((s, i) => sendText(s, direct(receivers[i]!), 'warm-up')));
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const tickMs = 5;
  const perTick = (o.rate * tickMs) / 1000;
  let owed = 0;
  let n = 0;
  const mark = await cpuMark(t);
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= o.seconds * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Catch up on the schedule if a tick was late, so the offered rate stays fixed.
      owed = (elapsed / 1000) * o.rate - n;
      for (; owed >= 1; owed--) {
        const i = n++ % senders.length;
        const t0 = performance.now();
        pending.push(sendText(senders[i]!, direct(receivers[i]!), texts[n % texts.length]!).then(() => void latencies.push(performance.now() - t0)));
      }
    }, tickMs);
  });
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  const cpu = await cpuReport(t, mark, n);
  latencies.sort((a, b) => a - b);
  await Promise.all([...senders, ...receivers].map((c) => c.close()));
  return {
    offeredRate: o.rate,
    perTick: round(perTick),
    sent: n,
    achievedRate: round(n / seconds, 0),
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? NaN),
    ...cpu,
  };
}

async function fanoutPhase(server: ServerProcess, size: number): Promise<Record<string, unknown>> {
  const members = await registerUsers([server], 'fan', size);
  const owner = members[0]!;
  let next = 1;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < size) await befriend(owner, members[next++]!);
    }),
  );
  const info = await owner.call(Command.GROUP_CREATE, { name: 'fan-out', memberIds: members.slice(1).map((m) => BigInt(m.userId)) });
  await sleep(500);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const clientMsgId = randomUUID();
    const arrivals = members.slice(1).map(
      (m) =>
        new Promise<number>((resolve) => {
          const onFrame = (frame: { command: number; payload: Uint8Array }) => {
            if (frame.command !== Command.PUSH) return;
            const e = fromBinary(SyncEventSchema, frame.payload);
            if (e.event.case === 'message' && e.event.value.clientMsgId === clientMsgId) {
              m.conn.off('frame', onFrame);
              resolve(performance.now());
            }
          };
          m.conn.on('frame', onFrame);
        }),
    );
    const t0 = performance.now();
    const ack = sendText(owner, group(info.groupId), `fan-out round ${r}`, { clientMsgId });
    const ackAt = await ack.then(() => performance.now());
    const last = Math.max(...(await Promise.all(arrivals)));
    rounds.push(last - t0);
    if (r === 0) void ackAt;
    await sleep(200);
  }
  await Promise.all(members.map((c) => c.close()));
  const sorted = [...rounds].sort((a, b) => a - b);
  return { members: size, rounds: rounds.map((x) => round(x)), medianMs: round(percentile(sorted, 50)), bestMs: round(sorted[0]!) };
}

/** A port nobody listens on right now (the server's metrics endpoint takes it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export type StoreChoice = { store: 'sqlite'; sqliteThread: 'worker' | 'main' } | { store: 'postgres' };

const describeChoice = (c: StoreChoice) => (c.store === 'postgres' ? 'postgres' : `sqlite-${c.sqliteThread}`);

/**
 * Starts a server on a fresh data directory (and, for PostgreSQL, a fresh database on `pgInstance`).
 * `durability` defaults to TERN_BENCH_DURABILITY, else group-fsync (the server's default).
 */
export async function startTarget(
  o: Pick<Options, 'groupSize'>,
  choice: StoreChoice,
  pgInstance: () => Promise<PostgresInstance>,
  durability = process.env.TERN_BENCH_DURABILITY ?? 'group-fsync',
): Promise<Target & { stop(): Promise<void> }> {
  const data = tempDir('tern-bench-server-');
  const configFile = `${data}.json`;
  const metricsPort = await freePort();
  const instance = choice.store === 'postgres' ? await pgInstance() : undefined;
  const database = instance && (await instance.createDatabase('bench'));
  const config = {
    scrypt: testScrypt,
    idleTimeoutMs: 600_000,
    logLevel: 'warn',
    metricsPort,
    maxGroupSize: Math.max(500, o.groupSize),
    registrationsPerAddress: 100_000,
    // The per-account send limit would throttle the load generator's accounts.
    sendBurst: 1_000_000,
    sendPerMinute: 600_000_000,
    durability,
    store: database?.url ?? 'sqlite',
    ...(choice.store === 'sqlite' ? { sqliteThread: choice.sqliteThread } : {}),
  };
  writeFileSync(configFile, JSON.stringify(config));
  const server = await spawnServer(['--port', '0', '--data', data, '--config', configFile]);
  const postmaster = instance && Number(readFileSync(join(instance.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    server,
    metricsPort,
    postgres: database && postmaster ? { pid: postmaster, url: database.url, dataDir: join(instance.dir, 'data') } : undefined,
    async stop() {
      server.child.kill('SIGTERM');
      await server.exited;
      await database?.drop();
      removeDir(data);
      removeDir(configFile);
    },
  };
}

/** `--storage`: the saturation phase for each store configuration, alternated, each on a fresh server. */
async function storageComparison(o: Options, rounds: number, configs: string[] | undefined, texts: string[], pgInstance: () => Promise<PostgresInstance>): Promise<Record<string, unknown>> {
  const all: StoreChoice[] = [{ store: 'sqlite', sqliteThread: 'main' }, { store: 'sqlite', sqliteThread: 'worker' }, { store: 'postgres' }];
  const choices = configs ? all.filter((c) => configs.includes(describeChoice(c))) : all;
  const runs: Record<string, Array<Record<string, unknown>>> = {};
  for (let r = 0; r < rounds; r++) {
    for (const choice of choices) {
      const target = await startTarget(o, choice, pgInstance);
      try {
        const result = await throughputPhase(target, o, texts);
        (runs[describeChoice(choice)] ??= []).push(result);
        console.log(`round ${r + 1} ${describeChoice(choice)}:`, result);
      } finally {
        await target.stop();
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const keys = ['ackedPerSecond', 'serverMicrosPerMessage', 'mainThreadMicrosPerMessage', 'storeThreadMicrosPerMessage', 'postgresMicrosPerMessage', 'serverSideMicrosPerMessage', 'messagesPerServerSideCpuSecond', 'writeBytesPerMessage', 'wcharPerMessage', 'writesPerGroupCommit',
    ...['walBytesPerMessage', 'walFullPageImagesPerMessage', 'walFlushesPerMessage', 'dataBuffersWrittenPerMessage', 'pagesWrittenPerMessage'].map((k) => `postgresWrites.${k}`)];
  const summary: Record<string, Record<string, { median: number; runs: number[] }>> = {};
  for (const [name, list] of Object.entries(runs)) {
    summary[name] = Object.fromEntries(keys.map((k) => {
      const values = list.map((x) => Number(k.split('.').reduce<unknown>((o, part) => (o as Record<string, unknown> | undefined)?.[part], x)));
      return [k, { median: median(values), runs: values }];
    }));
  }
  return { rounds, summary, runs };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const o = parseOptions(args);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const texts = sentences();
  // One private PostgreSQL (fsync on, as in production) for the whole benchmark, started when first needed.
  let instance: Promise<PostgresInstance> | undefined;
  const pgInstance = () => (instance ??= startPostgres({ fsync: true }));
  const results: Record<string, unknown> = { options: o, loadAverage: loadavg().map((x) => round(x)) };
  try {
    if (args.includes('--storage')) {
      results.storage = await storageComparison(o, Number(value('--rounds') ?? 2), value('--configs')?.split(','), texts, pgInstance);
      console.log('storage comparison (medians):', JSON.stringify((results.storage as { summary: unknown }).summary, null, 1));
      return results;
    }
    const store = value('--store') ?? 'sqlite';
    const choice: StoreChoice = store === 'postgres' ? { store } : { store: 'sqlite', sqliteThread: value('--sqlite-thread') === 'main' ? 'main' : 'worker' };
    results.store = describeChoice(choice);
    const target = await startTarget(o, choice, pgInstance);
    const { server, metricsPort } = target;
    try {
      console.log(`server pid ${server.child.pid} on ${server.host}:${server.port}, metrics :${metricsPort}, store ${describeChoice(choice)}`);
      results.idle = await idlePhase(server, metricsPort, o.idle);
      console.log('idle connections:', results.idle);
      results.throughput = await throughputPhase(target, o, texts);
      console.log('1:1 throughput at saturation:', results.throughput);
      if (o.rate === 0) o.rate = Math.max(100, Math.round(Number((results.throughput as { ackedPerSecond: number }).ackedPerSecond) / 2 / 100) * 100);
      results.latency = await latencyPhase(target, o, texts);
      console.log('1:1 latency at a fixed rate:', results.latency);
      results.fanout = await fanoutPhase(server, o.groupSize);
      console.log('group fan-out:', results.fanout);
      const m = await scrape(metricsPort);
      results.serverCounters = {
        messagesStored: m.get('tern_messages_stored_total'),
        pushesSent: m.get('tern_pushes_sent_total'),
        pushAcks: m.get('tern_push_acks_total'),
        rssBytes: m.get('process_resident_memory_bytes'),
      };
    } finally {
      await target.stop();
    }
  } finally {
    results.loadAverageAfter = loadavg().map((x) => round(x));
    if (instance) await (await instance).destroy();
  }
  return results;
}
