/**
 * Cluster benchmark: `npm run bench -- cluster [--out FILE] [options]`.
 *
 * Phases (`--phases connections,failover,throughput`, all by default):
 * - connections: N idle, logged-in, encrypted connections (default 100,000)
 *   held by G gateway processes (default 7) against one PostgreSQL and one
 *   NATS, opened by L load-generator processes (default 6); RSS per
 *   connection of the gateways (and what PostgreSQL and NATS add);
 * - failover: three nodes, a burst of 1:1 messages, one node killed with
 *   SIGKILL a third of the way in; acked / delivered / lost / duplicates;
 * - throughput: the embedded store (one node, SQLite, no bus), then one and
 *   three cluster nodes (PostgreSQL + NATS): messages per second at
 *   saturation, server CPU per message summed over every server-side
 *   process (gateways, PostgreSQL's processes, nats-server) from /proc,
 *   p50/p99 send -> ack and send -> delivery at a fixed rate (across nodes
 *   with three).
 *
 * Options: --quick (small numbers, to check it runs), --connections N,
 * --connect-seconds S (stop opening connections after S seconds and report
 * what is held: on a busy machine logins may come slower than a run allows),
 * --gateways G, --loadgens L, --fixture seeded|register (seeded, the default:
 * the accounts and their device tokens are written into PostgreSQL first and
 * each connection logs in with its token; register: each connection
 * REGISTERs a new account), --concurrency C (logins in flight per load
 * generator, default 32), --seconds S, --pairs P, --window W, --rate R,
 * --failover-pairs P, --failover-messages M.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { spawnServer } from '../server/helpers/process';
import { removeDir, tempDir } from '../server/helpers/server';
import { bundleServer, removeBundle } from '../support/bundle';
import { startCluster, type Cluster } from '../support/cluster';
import { holdConnections } from './cluster-connections';
import { failoverRun } from './cluster-failover';
import { measureTraffic, type TrafficOptions } from './cluster-traffic';
import { CpuMeter, round, sentences } from './lib';

const PHASES = ['connections', 'failover', 'throughput'] as const;
type Phase = (typeof PHASES)[number];

interface Options extends TrafficOptions {
  phases: Phase[];
  connections: number;
  connectSeconds: number;
  gateways: number;
  loadgens: number;
  fixture: 'seeded' | 'register';
  concurrency: number;
  failoverPairs: number;
  failoverMessages: number;
}

function fixtureOf(args: string[]): 'seeded' | 'register' {
  const i = args.indexOf('--fixture');
  const f = i >= 0 ? args[i + 1] : 'seeded';
  if (f !== 'seeded' && f !== 'register') throw new Error('--fixture is seeded or register');
  return f;
}

function parseOptions(args: string[]): Options {
  const quick = args.includes('--quick');
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const n = Number(args[i + 1]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a number`);
    return n;
  };
  const i = args.indexOf('--phases');
  const phases = i >= 0 ? (args[i + 1] ?? '').split(',') : [...PHASES];
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`unknown phase ${p} (${PHASES.join(', ')})`);
  return {
    phases: phases as Phase[],
    connections: value('--connections', quick ? 3000 : 100_000),
    connectSeconds: value('--connect-seconds', 0),
    gateways: value('--gateways', quick ? 3 : 7),
    loadgens: value('--loadgens', quick ? 2 : 6),
    fixture: fixtureOf(args),
    concurrency: value('--concurrency', 32),
    seconds: value('--seconds', quick ? 2 : 5),
    pairs: value('--pairs', quick ? 6 : 24),
    window: value('--window', 16),
    rate: value('--rate', 0),
    failoverPairs: value('--failover-pairs', quick ? 6 : 24),
    failoverMessages: value('--failover-messages', quick ? 30 : 100),
  };
}

/** Node options for benchmark clusters: cheap password hashing, no abuse limits (the load comes from few accounts and one address), nobody reaped for silence. */
const benchSettings = {
  scrypt: { N: 2, r: 1, p: 1 },
  registrationsPerAddress: 1_000_000,
  sendBurst: 1_000_000,
  sendPerMinute: 60_000_000,
  idleTimeoutMs: 3_600_000,
  handshakeTimeoutMs: 120_000,
  logLevel: 'warn',
};

function meterFor(cluster: Cluster): CpuMeter<'gateways' | 'postgres' | 'nats'> {
  return new CpuMeter({
    gateways: () => ({ pids: cluster.serverPids().gateways }),
    postgres: () => ({ trees: cluster.serverPids().postmaster ? [cluster.serverPids().postmaster!] : [] }),
    nats: () => ({ pids: cluster.serverPids().nats ? [cluster.serverPids().nats!] : [] }),
  });
}

/** The gateways run from a bundle (plain node): see tests/support/bundle.ts. */
let serverEntry: string | undefined;

async function withCluster<T>(nodes: number, fn: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = await startCluster({ nodes, settings: benchSettings, spawn: (args) => spawnServer(args, {}, serverEntry) });
  try {
    return await fn(cluster);
  } finally {
    await cluster.stop();
  }
}

async function embeddedThroughput(o: Options, texts: string[]): Promise<Record<string, unknown>> {
  const data = tempDir('tern-bench-embedded-');
  const configFile = join(data, '..', `${data.split('/').at(-1)}.json`);
  writeFileSync(configFile, JSON.stringify({ ...benchSettings, durability: 'group-fsync' }));
  const server = await spawnServer(['--port', '0', '--data', data, '--config', configFile], {}, serverEntry);
  try {
    const meter = new CpuMeter({ gateway: () => ({ pids: [server.child.pid!] }) });
    return await measureTraffic([server], meter, o, texts, 'emb');
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    removeDir(data);
    removeDir(configFile);
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const o = parseOptions(args);
  const loadAtStart = loadavg().map((l) => round(l));
  const texts = sentences();
  const results: Record<string, unknown> = { options: o };
  const log = (name: string, value: unknown) => console.log(`${name}:`, JSON.stringify(value, null, 2));
  serverEntry = await bundleServer();
  try {
    if (o.phases.includes('connections')) {
      results.connections = await withCluster(o.gateways, (cluster) => holdConnections(cluster, { connections: o.connections, loadgens: o.loadgens, connectSeconds: o.connectSeconds, fixture: o.fixture, concurrency: o.concurrency }));
      log('connections', results.connections);
    }
    if (o.phases.includes('failover')) {
      results.failover = await withCluster(3, (cluster) => failoverRun(cluster, { pairs: o.failoverPairs, messagesPerSender: o.failoverMessages, windowPerSender: 4, victim: 1 }));
      log('failover', results.failover);
    }
    if (o.phases.includes('throughput')) {
      const embedded = await embeddedThroughput(o, texts);
      log('throughput, embedded store (1 node, SQLite)', embedded);
      const one = await withCluster(1, (cluster) => measureTraffic(cluster.endpoints(), meterFor(cluster), o, texts, 'c1'));
      log('throughput, cluster of 1 (PostgreSQL + NATS)', one);
      const three = await withCluster(3, (cluster) => measureTraffic(cluster.endpoints(), meterFor(cluster), o, texts, 'c3'));
      log('throughput, cluster of 3 (PostgreSQL + NATS)', three);
      results.throughput = { embedded, cluster1: one, cluster3: three };
    }
  } finally {
    removeBundle(serverEntry);
  }
  results.loadAverage = { atStart: loadAtStart, atEnd: loadavg().map((l) => round(l)) };
  results.note = 'server CPU is user + system time from /proc of every server-side process; wall-clock rates depend on what else runs on this shared machine';
  return results;
}
