// `npm run cluster`: starts PostgreSQL, NATS and N nodes for the user, prints what to connect to, and Ctrl-C (SIGINT
// to its process group, as a terminal sends it) stops every process it started and removes its directory. Bad flags
// get a clear error and start nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeKey } from '../../shared/node/noise/keys';
import { TestClient } from '../server/helpers/client';
import { befriend, direct, sendText } from '../server/helpers/social';
import { parseClusterFlags } from '../../scripts/lib/cluster-flags';

const root = new URL('../../', import.meta.url).pathname;
const running: ChildProcess[] = [];

afterEach(() => {
  // A failed test must not leave a cluster behind: end the whole group it started.
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
});

function launch(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | string> } {
  // Its own process group, like a shell job: the test sends SIGINT to the group, as Ctrl-C in a terminal does.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts', ...args], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => output, exited };
}

/** True while something accepts connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run cluster', () => {
  it('starts two nodes that serve users together, and Ctrl-C stops everything it started', async () => {
    const run = launch(['--nodes', '2', '--port', '0']);
    const lines = createInterface({ input: run.child.stdout! });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        seen.push(line);
        if (line.startsWith('Logs of the nodes')) resolve();
      });
      void run.exited.then((code) => reject(new Error(`exited (${code}) before it was ready:\n${run.output()}`)));
    });
    const nodes = seen.flatMap((l) => {
      const m = /^ {2}node (\d+) {2}127\.0\.0\.1:(\d+) .*metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(l);
      return m ? [{ index: Number(m[1]), port: Number(m[2]), metricsPort: Number(m[3]) }] : [];
    });
    expect(nodes.map((n) => n.index)).toEqual([0, 1]);
    const publicKey = decodeKey(/^Server key \(the same on every node\): (\S+)$/.exec(seen.find((l) => l.startsWith('Server key'))!)![1]!);
    const postgresPort = Number(/^ {2}PostgreSQL postgres:\/\/\S+@127\.0\.0\.1:(\d+)\//.exec(seen.find((l) => l.startsWith('  PostgreSQL'))!)![1]);
    const natsPort = Number(/^ {2}NATS +nats:\/\/127\.0\.0\.1:(\d+)$/.exec(seen.find((l) => l.startsWith('  NATS'))!)![1]);
    const servers = JSON.parse(/TERN_SERVERS='(.+)' npm start/.exec(seen.join('\n'))![1]!) as Array<{ port: number }>;
    expect(servers.map((s) => s.port)).toEqual(nodes.map((n) => n.port));

    // A user on each node: they befriend and chat across the nodes.
    const alice = await TestClient.connect({ host: '127.0.0.1', port: nodes[0]!.port, publicKey });
    const bob = await TestClient.connect({ host: '127.0.0.1', port: nodes[1]!.port, publicKey });
    try {
      await alice.register('alice');
      await bob.register('bob');
      await befriend(alice, bob);
      const ack = await sendText(alice, direct(bob), 'across the cluster 跨节点');
      expect((await bob.waitEvent('message', (m) => m.msgId === ack.msgId)).text).toBe('across the cluster 跨节点');
    } finally {
      await alice.close();
      await bob.close();
    }

    const dir = /^ {2}data +(\S+) /.exec(seen.find((l) => l.startsWith('  data'))!)![1]!;
    expect(existsSync(dir)).toBe(true);
    const ports = [postgresPort, natsPort, ...nodes.flatMap((n) => [n.port, n.metricsPort])];
    expect(await Promise.all(ports.map(listening))).toEqual(ports.map(() => true));

    process.kill(-run.child.pid!, 'SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('Stopped');
    expect(await Promise.all(ports.map(listening))).toEqual(ports.map(() => false));
    expect(existsSync(dir)).toBe(false);
  }, 180_000);

  it('refuses a bad flag with a clear error and the usage, and starts nothing', async () => {
    const run = launch(['--nodes', '0']);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain('--nodes must be a whole number from 1 to 32 (got 0)');
    expect(run.output()).toContain('Usage: npm run cluster');
    expect(run.output()).not.toContain('Starting PostgreSQL');
  }, 60_000);
});

describe('parseClusterFlags', () => {
  it('has defaults: three nodes from port 7800, warnings', () => {
    expect(parseClusterFlags([])).toEqual({ nodes: 3, port: 7800, logLevel: 'warn', help: false });
    expect(parseClusterFlags(['--nodes', '6', '--port', '0', '--log-level', 'info'])).toEqual({ nodes: 6, port: 0, logLevel: 'info', help: false });
  });

  it.each([
    [['--nodes', '0'], '--nodes must be a whole number from 1 to 32 (got 0)'],
    [['--nodes', 'three'], '--nodes must be a whole number from 1 to 32 (got three)'],
    [['--nodes', '33'], '--nodes must be a whole number from 1 to 32 (got 33)'],
    [['--port', '65534'], '--port must be 0 (free ports) or a port with room for 3 nodes after it (got 65534)'],
    [['--port=-1'], '--port must be 0'],
    [['--log-level', 'loud'], '--log-level must be one of fatal, error, warn'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], "Unexpected argument 'extra'"],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parseClusterFlags(args)).toThrow(message);
  });
});
