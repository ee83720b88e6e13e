/**
 * `npm run cluster -- --nodes 3`: a Tern cluster on this machine, to try one
 * out. It starts a private PostgreSQL and nats-server (Debian packages
 * `postgresql` and `nats-server`, on free loopback ports, in a temporary
 * directory), then N gateway nodes (`server/main.ts --store postgres://…
 * --bus nats://…`, one process each, one server key), prints the endpoints
 * and how to point the app at them, and on Ctrl-C stops everything and
 * removes the directory. Everything is throw-away: nothing survives the run.
 *
 * Flags: --nodes N (default 3), --port P (node i listens on P + 2i, its
 * attachment service on P + 2i + 1; default 7800; 0 = free ports),
 * --log-level LEVEL (the nodes' log lines shown here, default warn).
 *
 * The launcher is the one the three-node tests and the cluster benchmark use
 * (scripts/lib/cluster.ts); docs/SCALING.md explains the topology.
 */
import { createInterface } from 'node:readline';
import { encodeKey } from '../shared/node/noise/keys';
import { CLUSTER_USAGE, parseClusterFlags, type ClusterFlags as Flags } from './lib/cluster-flags';
import { bundleServer, removeBundle } from './lib/bundle';
import { startCluster, type Cluster } from './lib/cluster';
import { spawnServer, type ServerProcess } from './lib/server-process';

/** Shows a node's log lines (pino JSON on its stderr) with its name in front. */
function relayLog(index: number, server: ServerProcess): void {
  const lines = createInterface({ input: server.child.stderr! });
  lines.on('line', (line) => process.stderr.write(`[node ${index}] ${line}\n`));
}

function describe(cluster: Cluster, flags: Flags): string {
  const key = encodeKey(cluster.publicKey);
  const servers = cluster.endpoints().map((e) => ({ host: e.host, port: e.port, publicKey: key }));
  const rows = cluster.nodes.map((n) => `  node ${n.index}  ${servers[n.index]!.host}:${n.port}   metrics http://127.0.0.1:${n.metricsPort}/metrics   pid ${n.process?.child.pid}`);
  return [
    `Tern cluster: ${cluster.nodes.length} node${cluster.nodes.length === 1 ? '' : 's'} on one PostgreSQL and one NATS`,
    ...rows,
    `  PostgreSQL ${cluster.databaseUrl}`,
    `  NATS       ${cluster.nats.url}`,
    `  data       ${cluster.dir} (PostgreSQL's in ${cluster.postgres?.dir}; both removed when it stops)`,
    `Server key (the same on every node): ${key}`,
    '',
    'Point the app at every node (a client rotates through the list when one goes away):',
    `  TERN_SERVERS='${JSON.stringify(servers)}' npm start`,
    `Try a failure: kill -9 one node's pid and watch its clients move to the others.`,
    `Logs of the nodes at level ${flags.logLevel} follow. Ctrl-C stops everything and deletes the cluster's data.`,
  ].join('\n');
}

async function main(): Promise<void> {
  let flags: Flags;
  try {
    flags = parseClusterFlags(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    console.error(CLUSTER_USAGE);
    process.exit(2);
  }
  if (flags.help) {
    console.log(CLUSTER_USAGE);
    return;
  }
  console.log(`Starting PostgreSQL, NATS and ${flags.nodes} node(s)...`);
  // Plain node on a bundle: see scripts/lib/bundle.ts (a long-lived child under the tsx loader can stall).
  const entry = await bundleServer();
  let stopping = false;
  let nextIndex = 0;
  const spawn = async (args: string[]) => {
    // startCluster launches node 0, then the others in order (numbered before they answer, which is in any order).
    const index = nextIndex++;
    const server = await spawnServer(args, {}, entry);
    relayLog(index, server);
    void server.exited.then((code) => {
      if (!stopping) console.error(`node ${index} (pid ${server.child.pid}) exited (${code}); the other nodes keep serving`);
    });
    return server;
  };
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      nodes: flags.nodes,
      basePort: flags.port === 0 ? undefined : flags.port,
      settings: { logLevel: flags.logLevel },
      spawn,
    });
  } catch (err) {
    removeBundle(entry);
    console.error(`The cluster did not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  console.log(describe(cluster, flags));

  const stop = async (signal: string) => {
    if (stopping) return; // Ctrl-C reaches the whole process group, and tsx passes it on too
    stopping = true;
    console.log(`\n${signal}: stopping the nodes, NATS and PostgreSQL...`);
    try {
      await cluster.stop();
      console.log('Stopped; the cluster directory is removed.');
    } finally {
      removeBundle(entry);
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

await main();
