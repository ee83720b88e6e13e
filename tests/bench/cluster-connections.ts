/**
 * Idle, logged-in, encrypted connections held by a cluster of gateway
 * processes. A process may open at most 20,000 files here, so the load comes
 * from several generator processes (tests/bench/server-loadgen.ts), each from
 * its own source address in 127.0.0.0/8, each spreading its connections over
 * every gateway. Every connection completes the Noise handshake and logs in
 * as its own user, which records it in the session directory and subscribes
 * its node to the user's bus subject. The accounts are either seeded (the
 * default: tests/bench/cluster-fixture.ts writes them and their device
 * tokens into PostgreSQL, and each connection logs in with its token, as
 * the app does on every reconnect) or registered one by one over the
 * protocol (`fixture: 'register'`: each login then also pays a scrypt hash
 * and the account's creation).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { encodeKey } from '../../shared/node/noise/keys';
import type { Cluster } from '../support/cluster';
import { seedAccounts, type SeededAccounts } from './cluster-fixture';
import { CpuMeter, processTree, pssBytes, round, rssBytes, scrape, sleep } from './lib';
import type { ConnectOrder, ConnectResult } from './server-loadgen';

export interface ConnectionOptions {
  connections: number;
  loadgens: number;
  /** Stop opening connections after this long (0 = until all are open); what is held then is the figure. */
  connectSeconds: number;
  /** 'seeded': accounts and device tokens written into PostgreSQL first, token logins; 'register': REGISTER per connection. */
  fixture: 'seeded' | 'register';
  /** Logins in flight per load generator. */
  concurrency: number;
}

/** Connections per order: a generator works through its share in chunks that go round the gateways. */
const CHUNK = 250;

interface Memory {
  gateways: number;
  postgres: number;
  nats: number;
}

function memoryOf(cluster: Cluster): Memory {
  const { gateways, nats, postmaster } = cluster.serverPids();
  const sum = (pids: number[], of: (pid: number) => number) => pids.reduce((s, pid) => s + of(pid), 0);
  // PostgreSQL's backends share its buffers: proportional sizes, so they count once.
  return { gateways: sum(gateways, rssBytes), postgres: postmaster ? sum(processTree(postmaster), pssBytes) : 0, nats: nats ? rssBytes(nats) : 0 };
}

async function sessionsOn(cluster: Cluster): Promise<number[]> {
  return Promise.all(cluster.nodes.map(async (n) => (await scrape(n.metricsPort)).get('tern_sessions_authenticated') ?? 0));
}

export async function holdConnections(cluster: Cluster, o: ConnectionOptions): Promise<Record<string, unknown>> {
  const endpoints = cluster.endpoints();
  const key = encodeKey(cluster.publicKey);
  // Plain node on a bundle: starts fast, and many of them fit in memory.
  const script = join(tmpdir(), `tern-cluster-loadgen-${process.pid}.mjs`);
  await build({ entryPoints: [fileURLToPath(new URL('./server-loadgen.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'warning' });
  const perLoadgen = Math.ceil(o.connections / o.loadgens);
  if (perLoadgen > 19_000) throw new Error(`${perLoadgen} connections per load generator: more than one process may open here; use more --loadgens`);
  const seeded: SeededAccounts | undefined = o.fixture === 'seeded' ? await seedAccounts(cluster.databaseUrl, 'idle', o.connections) : undefined;
  const before = memoryOf(cluster);
  const children: ChildProcess[] = [];
  // CPU per login, by side: what an idle connection costs to establish (handshake, REGISTER, directory row, subscription).
  const { nats, postmaster } = cluster.serverPids();
  const meter = new CpuMeter({
    gateways: () => ({ pids: cluster.serverPids().gateways }),
    postgres: () => ({ trees: postmaster ? [postmaster] : [] }),
    nats: () => ({ pids: nats ? [nats] : [] }),
    loadgens: () => ({ pids: children.flatMap((c) => (c.pid ? [c.pid] : [])) }),
  });
  meter.sample();
  // The machine is shared: what the others ran meanwhile, as the 1-minute load average every 10 s.
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(loadavg()[0]!), 10_000);
  const started = performance.now();
  const deadline = o.connectSeconds > 0 ? started + o.connectSeconds * 1000 : undefined;
  let stoppedAtDeadline = false;
  let user = 0;
  const results = await Promise.all(
    Array.from({ length: o.loadgens }, async (_, g) => {
      const count = Math.min(perLoadgen, o.connections - g * perLoadgen);
      const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      await new Promise<void>((resolve) => child.once('message', () => resolve()));
      // This generator's connections, in chunks going round the gateways (so a run stopped at the deadline
      // leaves them evenly loaded); all from its own source address.
      const orders: ConnectOrder[] = [];
      for (let left = count, k = g; left > 0; left -= CHUNK, k++) {
        const n = Math.min(CHUNK, left);
        const ep = endpoints[k % endpoints.length]!;
        const who = seeded ? { login: { prefix: seeded.prefix, from: user, tokenSecret: seeded.tokenSecret } } : { register: { prefix: 'idle', from: user } };
        orders.push({ type: 'connect', host: ep.host, port: ep.port, key, count: n, concurrency: o.concurrency, localAddress: `127.0.${10 + g}.1`, ...who });
        user += n;
      }
      const done: ConnectResult[] = [];
      for (const order of orders) {
        if (deadline !== undefined && performance.now() > deadline) {
          stoppedAtDeadline = true;
          break;
        }
        child.send(order);
        done.push(await new Promise<ConnectResult>((resolve) => child.once('message', (m: ConnectResult) => resolve(m))));
      }
      return done;
    }),
  );
  const connectSeconds = (performance.now() - started) / 1000;
  const cpu = meter.sample();
  clearInterval(loadTimer);
  // Let the last logins settle (directory rows, subscriptions), then read.
  await sleep(3000);
  const sessions = await sessionsOn(cluster);
  const held = sessions.reduce((a, b) => a + b, 0);
  const after = memoryOf(cluster);
  const flat = results.flat();
  const ok = flat.reduce((s, r) => s + r.ok, 0);
  const failed = flat.reduce((s, r) => s + r.failed, 0);
  for (const child of children) child.send({ type: 'exit' });
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : c.once('exit', r)))));
  rmSync(script, { force: true });
  return {
    target: o.connections,
    fixture: seeded
      ? {
          kind: 'seeded',
          note: `${seeded.count} accounts with one device each and its device token inserted directly into PostgreSQL before the run (one precomputed scrypt hash for all); each connection does the real server path: Noise handshake, LOGIN with the device token, login recorded (durable commit), session directory row, bus subscription, presence`,
          seedSeconds: round(seeded.seedSeconds),
        }
      : { kind: 'register', note: 'each connection REGISTERs a new account (the bench configures a cheap scrypt) and so logs in' },
    concurrencyPerLoadGenerator: o.concurrency,
    connectSecondsLimit: o.connectSeconds || undefined,
    stoppedAtDeadline,
    gateways: endpoints.length,
    loadGenerators: o.loadgens,
    opened: ok,
    failed,
    firstError: flat.find((r) => r.firstError)?.firstError,
    held,
    heldPerGateway: sessions,
    connectSeconds: round(connectSeconds),
    loginsPerSecond: round(ok / connectSeconds, 0),
    cpuSeconds: cpu,
    // Cores the whole bench (server side and generators) had on average while connecting.
    coresUsed: round(cpu.total / connectSeconds),
    loadAverageWhileConnecting: loads.length ? { min: round(Math.min(...loads)), mean: round(loads.reduce((a, b) => a + b, 0) / loads.length), max: round(Math.max(...loads)) } : undefined,
    serverSideCpuMicrosPerLogin: round(((cpu.gateways + cpu.postgres + cpu.nats) / Math.max(1, ok)) * 1e6, 0),
    loadgenCpuMicrosPerLogin: round((cpu.loadgens / Math.max(1, ok)) * 1e6, 0),
    rssBytes: { before, after },
    gatewayRssBytesPerConnection: round((after.gateways - before.gateways) / Math.max(1, held), 0),
    // The session directory's rows and the bus subscriptions, per connection (PostgreSQL: proportional set size).
    postgresPssBytesPerConnection: round((after.postgres - before.postgres) / Math.max(1, held), 0),
    natsRssBytesPerConnection: round((after.nats - before.nats) / Math.max(1, held), 0),
  };
}
