/**
 * Runs the IM server (`server/main.ts`, or a build or bundle of it) as a
 * child process, as an operator would, and waits until it serves: its
 * stdout says `listening on HOST:PORT`, `attachments at URL`, then
 * `server key KEY` (ready). Tests, benchmarks and `npm run cluster`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { decodeKey } from '../../shared/node/noise/keys';

const root = new URL('../../', import.meta.url).pathname;

export interface ServerProcess {
  host: string;
  port: number;
  publicKey: Uint8Array;
  child: ChildProcess;
  /** The blob service's URL, from the "attachments at URL" line. */
  blobUrl: string;
  /** The last of what it wrote to stderr (for failure messages). */
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Extra node flags for the server child, e.g. TERN_TEST_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const extraNodeArgs = (process.env.TERN_TEST_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

export function serverArgs(args: string[]): string[] {
  return [...extraNodeArgs, '--import', 'tsx', 'server/main.ts', ...args];
}

/**
 * Starts `server/main.ts` (node + the tsx loader) and waits until it is
 * ready. `entry`: a bundle of it to run with plain node instead
 * (scripts/lib/bundle.ts).
 */
export function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}, entry?: string): Promise<ServerProcess> {
  const argv = entry ? [...extraNodeArgs, entry, ...args] : serverArgs(args);
  return spawnServerCommand([process.execPath, ...argv], { cwd: root, env: { ...process.env, ...env } });
}

/** Starts a server command (e.g. the compiled entry) and waits for its stdout lines. */
export function spawnServerCommand(command: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  const child = spawn(command[0]!, command.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  // The last 256 KB: a node of `npm run cluster` may log for hours.
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    if (err.length > 512 * 1024) err = err.slice(-256 * 1024);
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    let host = '';
    let port = 0;
    let blobUrl = '';
    const lines = createInterface({ input: child.stdout! });
    const fail = (why: string) => reject(new Error(`${why}\nstderr:\n${err}`));
    void exited.then((code) => fail(`server exited (${code}) before it was ready`));
    lines.on('line', (line) => {
      const listening = /^listening on (.+):(\d+)$/.exec(line);
      const blobs = /^attachments at (\S+)$/.exec(line);
      const key = /^server key (\S+)$/.exec(line);
      if (listening) {
        host = listening[1]!;
        port = Number(listening[2]);
      } else if (blobs) {
        blobUrl = blobs[1]!;
      } else if (key) {
        resolve({ child, host, port, blobUrl, publicKey: decodeKey(key[1]!), stderr: () => err, exited });
      }
    });
  });
}
