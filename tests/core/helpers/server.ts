/** Real Tern servers for integration tests: in-process, or a child process (for SIGKILL / SIGSTOP). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServerEndpoint } from '../../../shared/ipc';
import { startServer, type RunningServer, type ServerConfig } from '../../../server/index';

export const repoRoot = resolve(import.meta.dirname, '../../..');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tern-${prefix}-`));
}

export async function inProcessServer(dataDir = tempDir('server'), config: Partial<ServerConfig> = {}): Promise<{ server: RunningServer; endpoint: ServerEndpoint; dataDir: string }> {
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent', scrypt: { N: 1024, r: 8, p: 1 }, ...config });
  return { server, endpoint: { host: server.host, port: server.port, publicKey: server.publicKeyBase64 }, dataDir };
}

export interface ChildServer {
  child: ChildProcess;
  endpoint: ServerEndpoint;
  dataDir: string;
  signal(sig: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** What the server wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * `node --import tsx server/main.ts --port P --data DIR`: one process, so signals reach the server itself.
 * `env` adds TERN_SERVER_* settings (e.g. lifting the per-account send rate for a benchmark's burst).
 */
export async function childServer(dataDir: string, port = 0, env: Record<string, string> = {}): Promise<ChildServer> {
  // The blob service on any free port unless the caller fixed one: by default it takes --port + 1, which on a
  // restart at a known port may have been taken by another test meanwhile (EADDRINUSE).
  const blobPort = env.TERN_SERVER_BLOB_PORT ?? '0';
  const args = ['--import', 'tsx', join(repoRoot, 'server/main.ts'), '--port', String(port), '--blob-port', blobPort, '--data', dataDir, '--log-level', 'warn'];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const endpoint = await serverListening(child, () => err);
  return {
    child,
    endpoint,
    dataDir,
    exited,
    stderr: () => err,
    signal: (sig) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/** Resolves with the endpoint once a `server/main.ts` child prints its two start lines; rejects if it exits first or takes too long. */
export function serverListening(child: ChildProcess, stderr: () => string, timeoutMs = 30_000): Promise<ServerEndpoint> {
  let out = '';
  return new Promise<ServerEndpoint>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const listen = /listening on (\S+):(\d+)/.exec(out);
      const key = /server key (\S+)/.exec(out);
      if (listen && key) {
        clearTimeout(timer);
        resolveStart({ host: listen[1]!, port: Number(listen[2]), publicKey: key[1]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${stderr()}`));
    });
  });
}
