/**
 * A cluster on one machine for `npm run cluster`, the tests and the benchmark:
 * a private PostgreSQL and nats-server, and N gateway nodes as child
 * processes (`server/main.ts --store postgres://… --bus nats://…`), each with
 * its own data directory and all with one server key (so one pinned key
 * serves every endpoint, as behind a load balancer).
 *
 *   const cluster = await startCluster({ nodes: 3 });
 *   cluster.endpoints();          // [{ host, port, publicKey }, …]: what a client's server list holds
 *   await cluster.kill(1);        // SIGKILL node 1
 *   await cluster.restart(1);     // start it again (same port if free, same data directory)
 *   await cluster.stop();         // every node, then NATS and PostgreSQL; removes the directory it made
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOBS_DIR, UPLOADS_DIR } from '../../server/blobs/attachments-runtime';
import { TOKEN_SECRET_FILE } from '../../server/blobs/tokens';
import { spawnServer, type ServerProcess } from './server-process';
import { startNats, type NatsServer } from './nats';
import { freePort, startPostgres, type PostgresInstance, type PostgresOptions, type TestDatabase } from './postgres';

export interface ClusterOptions {
  nodes: number;
  /** Where the nodes' data directories and config go (default: a new temporary directory, removed by stop()). */
  dir?: string;
  /** Server options for every node (JSON config file keys). */
  settings?: Record<string, unknown>;
  postgres?: PostgresOptions;
  /** An existing PostgreSQL database URL (default: a private instance). */
  databaseUrl?: string;
  /** Starts one node (default: spawnServer, node + tsx). */
  spawn?: (args: string[]) => Promise<ServerProcess>;
  /** First node's port; node i listens on basePort + 2i and its blob service on the port after. Default: free ports. */
  basePort?: number;
}

export interface ClusterNode {
  readonly index: number;
  readonly dataDir: string;
  /** The running process (undefined while stopped). */
  process: ServerProcess | undefined;
  /** Its metrics and health port (/metrics, /healthz, /readyz). */
  readonly metricsPort: number;
  port: number;
}

export interface Cluster {
  /** Where the nodes' data directories, the shared attachments and NATS's files are. */
  readonly dir: string;
  readonly nodes: ClusterNode[];
  readonly nats: NatsServer;
  /** The private PostgreSQL (undefined with `databaseUrl`). */
  readonly postgres: PostgresInstance | undefined;
  readonly databaseUrl: string;
  readonly publicKey: Uint8Array;
  endpoints(): Array<{ host: string; port: number; publicKey: Uint8Array }>;
  /** Process ids of everything server-side: gateways, nats-server, PostgreSQL's postmaster (its children are found from it). */
  serverPids(): { gateways: number[]; nats: number | undefined; postmaster: number | undefined };
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tern-cluster-'));
  const ownsDir = options.dir === undefined;
  mkdirSync(dir, { recursive: true });
  const spawn = options.spawn ?? ((args: string[]) => spawnServer(args));
  let postgres: PostgresInstance | undefined;
  let db: TestDatabase | undefined;
  let nats: NatsServer | undefined;
  const nodes: ClusterNode[] = [];
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
    await nats?.dispose();
    await db?.drop().catch(() => undefined);
    await postgres?.destroy();
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      postgres = await startPostgres(options.postgres);
      db = await postgres.createDatabase('cluster');
      databaseUrl = db.url;
    }
    nats = await startNats({ dir: mkdirp(join(dir, 'nats')) });
    const configFile = join(dir, 'node.json');
    writeFileSync(configFile, JSON.stringify({ logLevel: 'warn', ...options.settings }));
    const argsFor = (node: ClusterNode) => [
      ...['--port', String(node.port), '--metrics-port', String(node.metricsPort), '--data', node.dataDir],
      ...['--config', configFile, '--store', databaseUrl!, '--bus', nats!.url],
    ];
    const launch = async (node: ClusterNode) => {
      node.process = await spawn(argsFor(node));
      node.port = node.process.port;
    };
    for (let i = 0; i < options.nodes; i++) {
      nodes.push({ index: i, dataDir: mkdirp(join(dir, `node-${i}`)), process: undefined, metricsPort: await freePort(), port: options.basePort ? options.basePort + 2 * i : 0 });
    }
    // Attachments: every node keeps them, and unfinished uploads, in one directory (this machine's stand-in for
    // the S3 bucket and shared staging of a cluster on several machines), so a file uploaded through one node
    // downloads through any, and an upload resumes on any.
    for (const shared of [BLOBS_DIR, UPLOADS_DIR]) {
      const target = mkdirp(join(dir, shared));
      for (const node of nodes) symlinkSync(target, join(node.dataDir, shared));
    }
    // The first node makes the server key and the transfer-token secret (and migrates the database); the others
    // start with copies: one pinned key for every endpoint, and a token from one node is good at any other.
    await launch(nodes[0]!);
    for (const node of nodes.slice(1)) for (const file of ['server.key', TOKEN_SECRET_FILE]) if (existsSync(join(nodes[0]!.dataDir, file))) copyFileSync(join(nodes[0]!.dataDir, file), join(node.dataDir, file));
    await Promise.all(nodes.slice(1).map(launch));
    const publicKey = nodes[0]!.process!.publicKey;
    const natsServer = nats;
    return {
      dir,
      nodes,
      nats: natsServer,
      postgres,
      databaseUrl,
      publicKey,
      endpoints: () => nodes.map((n) => ({ host: '127.0.0.1', port: n.port, publicKey })),
      serverPids: () => ({ gateways: nodes.flatMap((n) => (n.process?.child.pid ? [n.process.child.pid] : [])), nats: natsServer.child?.pid, postmaster: postgres ? postmasterPid(postgres.dir) : undefined }),
      kill: (index, signal = 'SIGKILL') => stopNode(nodes[index]!, signal),
      restart: async (index) => {
        const node = nodes[index]!;
        await stopNode(node, 'SIGTERM');
        for (let attempt = 0; ; attempt++) {
          try {
            await launch(node);
            return;
          } catch (err) {
            // The old port may still be in TIME_WAIT for a moment.
            if (attempt >= 20 || !/EADDRINUSE/.test(String(err))) throw err;
            await sleep(250);
          }
        }
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function mkdirp(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

async function stopNode(node: ClusterNode, signal: NodeJS.Signals): Promise<void> {
  const proc = node.process;
  if (!proc) return;
  node.process = undefined;
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill(signal);
    const force = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
    await proc.exited;
    clearTimeout(force);
  }
}

/** The postmaster's pid (first line of postmaster.pid in the data directory). */
function postmasterPid(pgDir: string): number | undefined {
  const file = join(pgDir, 'data', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}
