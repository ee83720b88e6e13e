/**
 * Server benchmark, encryption (Noise) and persistence (SQLite, synchronous=FULL) on:
 *   npm run bench -- server [--out FILE] [--quick] [--idle N] [--seconds S] [--rate R] [--group N]
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
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Command, SyncEventSchema } from '../../shared/protocol';
import { encodeKey } from '../../shared/node/noise/keys';
import { fromBinary } from '@bufbuild/protobuf';
import { TestClient } from '../server/helpers/client';
import { spawnServer, type ServerProcess } from '../server/helpers/process';
import { removeDir, tempDir, testScrypt } from '../server/helpers/server';
import { befriend, direct, group, sendText } from '../server/helpers/social';

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

function sentences(): string[] {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').split('\n%\n').map((s) => s.trim()).filter((s) => s.length > 0 && s.length < 400);
    } catch {
      return [];
    }
  };
  const all = [...read('/usr/share/games/fortunes/chinese'), ...read('/usr/share/games/fortunes/fortunes')];
  return all.length > 0 ? all : ['hello 你好', 'the quick brown fox', '今天天气很好'];
}

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\d+(?:\.\d+)?)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** CPU seconds (user + system) a process, or with `thread` one of its threads, has used, from /proc. */
function cpuSeconds(pid: number, thread?: number): number {
  const file = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  const fields = readFileSync(file, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

interface CpuMark {
  server: number;
  /** The server's main thread (its thread id is the pid): the event loop, which bounds throughput. */
  serverMain: number;
  client: number;
  at: number;
  batches: number;
  jobs: number;
}

async function cpuMark(server: ServerProcess, metricsPort: number): Promise<CpuMark> {
  const usage = process.cpuUsage();
  const m = await scrape(metricsPort);
  return { server: cpuSeconds(server.child.pid!), serverMain: cpuSeconds(server.child.pid!, server.child.pid!), client: (usage.user + usage.system) / 1e6, at: performance.now(), batches: m.get('tern_write_batches_total') ?? 0, jobs: m.get('tern_write_jobs_total') ?? 0 };
}

/** Where the time went between two marks: CPU share of each process and the group-commit size. */
async function cpuReport(server: ServerProcess, metricsPort: number, from: CpuMark, messages: number): Promise<Record<string, number>> {
  const to = await cpuMark(server, metricsPort);
  const wall = (to.at - from.at) / 1000;
  const serverCpu = to.server - from.server;
  const mainCpu = to.serverMain - from.serverMain;
  return {
    serverCpuSeconds: round(serverCpu),
    serverCpuShare: round(serverCpu / wall),
    // The rest of the server's CPU is libuv's thread pool (WAL fsyncs), GC helpers and the checkpoint worker.
    serverMainThreadCpuShare: round(mainCpu / wall),
    clientCpuShare: round((to.client - from.client) / wall),
    serverMicrosPerMessage: round((serverCpu * 1e6) / Math.max(1, messages), 0),
    messagesPerServerCpuSecond: round(messages / Math.max(0.001, serverCpu), 0),
    mainThreadMicrosPerMessage: round((mainCpu * 1e6) / Math.max(1, messages), 0),
    writesPerGroupCommit: round((to.jobs - from.jobs) / Math.max(1, to.batches - from.batches)),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

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

async function users(server: ServerProcess, prefix: string, n: number, concurrency = 25): Promise<TestClient[]> {
  const out: TestClient[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const c = await TestClient.connect(server);
        await c.register(`${prefix}${i}`);
        out[i] = c;
      }
    }),
  );
  return out;
}

async function throughputPhase(server: ServerProcess, metricsPort: number, o: Options, texts: string[]): Promise<Record<string, unknown>> {
  const senders = await users(server, 'tp_s', o.pairs);
  const receivers = await users(server, 'tp_r', o.pairs);
  for (let i = 0; i < o.pairs; i++) await befriend(senders[i]!, receivers[i]!);
  // Warm-up.
  await Promise.all(senders.map((s, i) => sendText(s, direct(receivers[i]!), 'warm-up')));
  let acked = 0;
  let stop = false;
  let t = 0;
  const mark = await cpuMark(server, metricsPort);
  const started = performance.now();
  await Promise.all(
    senders.flatMap((s, i) =>
      Array.from({ length: o.window }, async () => {
        while (!stop) {
          await sendText(s, direct(receivers[i]!), texts[t++ % texts.length]!);
          acked++;
          if (performance.now() - started > o.seconds * 1000) stop = true;
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = await cpuReport(server, metricsPort, mark, acked);
  await Promise.all([...senders, ...receivers].map((c) => c.close()));
  return { pairs: o.pairs, inFlightPerSender: o.window, seconds: round(seconds), acked, ackedPerSecond: round(acked / seconds, 0), ...cpu };
}

async function latencyPhase(server: ServerProcess, metricsPort: number, o: Options, texts: string[]): Promise<Record<string, unknown>> {
  const senders = await users(server, 'lat_s', o.pairs);
  const receivers = await users(server, 'lat_r', o.pairs);
  for (let i = 0; i < o.pairs; i++) await befriend(senders[i]!, receivers[i]!);
  await Promise.all(senders.map((s, i) => sendText(s, direct(receivers[i]!), 'warm-up')));
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const tickMs = 5;
  const perTick = (o.rate * tickMs) / 1000;
  let owed = 0;
  let n = 0;
  const mark = await cpuMark(server, metricsPort);
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
  const cpu = await cpuReport(server, metricsPort, mark, n);
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
  const members = await users(server, 'fan', size);
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
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const o = parseOptions(args);
  const data = tempDir('tern-bench-server-');
  const configFile = `${data}.json`;
  const metricsPort = await freePort();
  writeFileSync(configFile, JSON.stringify({ scrypt: testScrypt, idleTimeoutMs: 600_000, logLevel: 'warn', metricsPort, maxGroupSize: Math.max(500, o.groupSize), registrationsPerAddress: 100_000, sendBurst: 1_000_000, sendPerMinute: 600_000_000, durability: process.env.TERN_BENCH_DURABILITY ?? 'group-fsync' }));
  const server = await spawnServer(['--port', '0', '--data', data, '--config', configFile]);
  const results: Record<string, unknown> = { options: o };
  try {
    const texts = sentences();
    console.log(`server pid ${server.child.pid} on ${server.host}:${server.port}, metrics :${metricsPort}`);
    results.idle = await idlePhase(server, metricsPort, o.idle);
    console.log('idle connections:', results.idle);
    results.throughput = await throughputPhase(server, metricsPort, o, texts);
    console.log('1:1 throughput at saturation:', results.throughput);
    if (o.rate === 0) o.rate = Math.max(100, Math.round(Number((results.throughput as { ackedPerSecond: number }).ackedPerSecond) / 2 / 100) * 100);
    results.latency = await latencyPhase(server, metricsPort, o, texts);
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
    server.child.kill('SIGTERM');
    await server.exited;
    removeDir(data);
    removeDir(configFile);
  }
  return results;
}
