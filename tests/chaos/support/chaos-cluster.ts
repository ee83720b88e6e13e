/**
 * A cluster for chaos scenarios: three gateway nodes on a private PostgreSQL
 * and nats-server (tests/support/cluster.ts), with the chaos suite's limits
 * (bursts from a few clients on one address, cheap password hashing, short
 * heartbeat), and one node's link to NATS through our fault proxy, so that
 * node alone can be partitioned from the bus.
 *
 *   const cc = await startChaosCluster({ busProxyNode: 2, seed });
 *   World.create({ ..., servers: (i) => cc.servers(i % 3) });
 *   await cc.busProxy.blackhole(4000);   // node 2 cannot reach NATS for 4 s, then can again
 *   cc.problems();                        // nodes that are not running (a crash)
 */
import { spawnServer } from '../../../scripts/lib/server-process';
import type { ServerEndpoint } from '../../../shared/ipc';
import { encodeKey } from '../../../shared/node/noise/keys';
import { startCluster, type Cluster } from '../../support/cluster';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

/** The chaos suite's server limits (support/server.ts's chaosServerEnv) as cluster settings. */
const chaosSettings = {
  scrypt: { N: 1024, r: 8, p: 1 },
  sendBurst: 100_000,
  sendPerMinute: 1_000_000,
  registrationsPerAddress: 100_000,
  idleTimeoutMs: 10_000,
  heartbeatIntervalMs: 1000,
  // On a loaded machine a live node's directory heartbeat can be seconds late; nothing here waits for a dead
  // node to be reaped (a frozen node must not make its users look offline to the others meanwhile either way).
  nodeTtlMs: 60_000,
};

export interface ChaosCluster {
  readonly cluster: Cluster;
  /** The proxy between node `busProxyNode` and NATS. */
  readonly busProxy: FaultProxy;
  /** The endpoint list for a client that starts at node `first` and fails over round the others. */
  servers(first: number): ServerEndpoint[];
  /** Nodes that are not running although no scenario stopped them (crashes), and NATS/PostgreSQL left down. */
  problems(): string[];
  stop(): Promise<void>;
}

export async function startChaosCluster(options: { busProxyNode: number; seed: number }): Promise<ChaosCluster> {
  let busProxy: FaultProxy | undefined;
  const cluster = await startCluster({
    nodes: 3,
    // fsync off: a restart of PostgreSQL (not of the machine) keeps every commit, and the shared disk stays fast.
    postgres: { fsync: false },
    settings: { ...chaosSettings, logLevel: process.env.TERN_TEST_LOG ?? 'warn' },
    spawn: async (args) => {
      const dataDir = args[args.indexOf('--data') + 1]!;
      const bus = args.indexOf('--bus');
      if (dataDir.endsWith(`node-${options.busProxyNode}`) && bus >= 0) {
        const url = new URL(args[bus + 1]!);
        busProxy ??= await startFaultProxy({ host: url.hostname, port: Number(url.port) }, { seed: options.seed });
        args = [...args.slice(0, bus + 1), `nats://127.0.0.1:${busProxy.port}`, ...args.slice(bus + 2)];
      }
      return spawnServer(args);
    },
  });
  const proxy = busProxy!;
  return {
    cluster,
    busProxy: proxy,
    servers: (first) => {
      const eps = cluster.endpoints();
      return eps.map((_, k) => eps[(first + k) % eps.length]!).map((e) => ({ host: e.host, port: e.port, publicKey: encodeKey(e.publicKey) }));
    },
    problems: () => {
      const out: string[] = [];
      for (const node of cluster.nodes) {
        const child = node.process?.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) out.push(`node ${node.index} is not running (${child ? (child.exitCode ?? child.signalCode) : 'stopped'}): ${node.process?.stderr().slice(-2000) ?? ''}`);
      }
      if (!cluster.nats.child) out.push('nats-server is not running');
      return out;
    },
    stop: async () => {
      await cluster.stop();
      await proxy.stop();
    },
  };
}
