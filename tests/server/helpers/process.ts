/** Runs the server as a child process (node + the tsx loader), as an operator would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { decodeKey } from '../../../shared/node/noise/keys';
import type { Endpoint } from './client';
import { removeDir, tempDir, testScrypt } from './server';

const root = new URL('../../../', import.meta.url).pathname;

export interface ServerProcess extends Endpoint {
  child: ChildProcess;
  /** The blob service's URL, from the "attachments at URL" line. */
  blobUrl: string;
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Extra node flags for the server child, e.g. TERN_TEST_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const extraNodeArgs = (process.env.TERN_TEST_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

export function serverArgs(args: string[]): string[] {
  return [...extraNodeArgs, '--import', 'tsx', 'server/main.ts', ...args];
}

/** Starts `server/main.ts` and waits for its stdout lines (the key comes last). */
export function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  return spawnServerCommand([process.execPath, ...serverArgs(args)], { cwd: root, env: { ...process.env, ...env } });
}

/** Starts a server command (e.g. the compiled entry) and waits for its stdout lines. */
export function spawnServerCommand(command: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ServerProcess> {
  const child = spawn(command[0]!, command.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
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

/** A server process for one test file: a fresh data directory, cheap scrypt, warnings only; `stop()` ends it and removes its files. */
export async function startServerProcess(): Promise<ServerProcess & { stop(): Promise<void> }> {
  const data = tempDir();
  const configFile = `${data}.json`;
  writeFileSync(configFile, JSON.stringify({ scrypt: testScrypt, logLevel: 'warn' }));
  const server = await spawnServer(['--port', '0', '--data', data, '--config', configFile]);
  return {
    ...server,
    stop: async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      removeDir(data);
      removeDir(configFile);
    },
  };
}

/** Runs the CLI to completion (admin commands, refused starts); `input` is written to its stdin (default: none, stdin is /dev/null). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, serverArgs(args), { cwd: root, env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}
