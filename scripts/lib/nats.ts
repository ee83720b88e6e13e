/**
 * A private nats-server (Debian package `nats-server`) for tests, the
 * benchmark and `npm run cluster`: loopback only, a free port, its own
 * directory, stopped by whoever started it. Never a server someone else runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const candidates = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export function natsServerBinary(): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('nats-server not found: install the Debian package nats-server (scripts/ensure-test-deps.sh does)');
  return found;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** The running process (undefined while stopped). */
  readonly child: ChildProcess | undefined;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after stop or kill). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts nats-server on 127.0.0.1 (port 0 = a free one) and resolves once it accepts clients. */
export async function startNats(options: { port?: number; dir?: string } = {}): Promise<NatsServer> {
  const binary = natsServerBinary();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tern-nats-'));
  const ownsDir = options.dir === undefined;
  let port = options.port ?? 0;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      // -p -1: nats-server picks a free port and logs it.
      const proc = spawn(binary, ['-a', '127.0.0.1', '-p', String(port === 0 ? -1 : port), '--pid', join(dir, 'nats.pid')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      child = proc;
      exited = new Promise((done) => proc.once('exit', () => done()));
      let log = '';
      const timer = setTimeout(() => fail(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(err);
      };
      const early = (code: number | null) => fail(new Error(`nats-server exited (${code}):\n${log}`));
      proc.once('error', fail);
      proc.once('exit', early);
      proc.stderr!.on('data', (chunk: Buffer) => {
        if (log.length < 20_000) log += chunk.toString();
        const m = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
        if (m && /Server is ready/.test(log)) {
          port = Number(m[1]);
          clearTimeout(timer);
          proc.off('exit', early);
          proc.stderr!.removeAllListeners('data');
          proc.stderr!.resume();
          resolve();
        }
      });
    });

  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
    child = undefined;
  };

  await launch();
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get child() {
      return child;
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start: () => launch(),
    dispose: async () => {
      await halt('SIGTERM');
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
