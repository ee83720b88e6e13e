/**
 * The IM server as a child process for the chaos suite: killed, frozen and
 * restarted on the same port and data directory, optionally inside a network
 * namespace (`wrap`: a command prefix such as `ip netns exec NS`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerEndpoint } from '../../../shared/ipc';
import { repoRoot, serverListening } from '../../core/helpers/server';

/** Limits lifted for bursts of a few clients from one address, cheap password hashing, short idle reaping. */
export const chaosServerEnv: Record<string, string> = {
  TERN_SERVER_SCRYPT: '{"N":1024,"r":8,"p":1}',
  TERN_SERVER_SEND_BURST: '100000',
  TERN_SERVER_SEND_PER_MINUTE: '1000000',
  TERN_SERVER_REGISTRATIONS_PER_ADDRESS: '100000',
  TERN_SERVER_IDLE_TIMEOUT_MS: '10000',
  TERN_SERVER_HEARTBEAT_INTERVAL_MS: '1000',
};

export interface ServerOptions {
  dataDir: string;
  /** Listen address (a namespace's address for netns scenarios). */
  host?: string;
  port?: number;
  env?: Record<string, string>;
  /** Command prefix, e.g. ['ip', 'netns', 'exec', 'tern-x']. */
  wrap?: string[];
}

export class ChaosServer {
  private child: ChildProcess | undefined;
  private exitedP: Promise<void> = Promise.resolve();
  private err = '';
  /** Exits we did not cause (SIGKILL by the test is expected; anything else is a crash). */
  readonly unexpectedExits: string[] = [];
  private expectingExit = false;
  endpoint!: ServerEndpoint;
  starts = 0;

  constructor(readonly options: ServerOptions) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  stderr(): string {
    return this.err;
  }

  /**
   * Starts (or restarts, on the port it had) and resolves once it listens. If
   * that port was taken meanwhile (an outgoing connection's ephemeral port, or
   * another test's listener), it takes a free one: callers re-point their
   * proxies at `endpoint` (World.restartServer does).
   */
  async start(): Promise<ServerEndpoint> {
    const port = this.endpoint?.port ?? this.options.port ?? 0;
    try {
      await this.startOn(port);
    } catch (err) {
      if (port === 0 || !/EADDRINUSE/.test(String(err))) throw err;
      await this.startOn(0);
    }
    this.starts++;
    return this.endpoint;
  }

  private async startOn(port: number): Promise<void> {
    this.err = '';
    const args = ['--import', 'tsx', join(repoRoot, 'server/main.ts'), '--host', this.options.host ?? '127.0.0.1', '--port', String(port), '--data', this.options.dataDir, '--log-level', 'warn'];
    const [cmd, ...pre] = [...(this.options.wrap ?? []), process.execPath];
    const child = spawn(cmd!, [...pre, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...chaosServerEnv, ...this.options.env } });
    this.child = child;
    this.expectingExit = false;
    let starting = true;
    this.exitedP = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        // An exit while starting rejects start() with the reason: the caller judges it.
        if (!this.expectingExit && !starting) this.unexpectedExits.push(`server exited (${code ?? signal}): ${this.err.slice(-2000)}`);
        resolve();
      }),
    );
    child.stderr!.on('data', (d: Buffer) => {
      if (this.err.length < 200_000) this.err += d.toString();
    });
    try {
      // Generous: on a shared two-core machine under heavy load (load average 30+), node + tsx took over 60 s to
      // start once, and a 30-minute soak died on that restart.
      this.endpoint = await serverListening(child, () => this.err, 180_000);
    } catch (err) {
      this.expectingExit = true;
      child.kill('SIGKILL');
      throw err;
    } finally {
      starting = false;
    }
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    if (sig === 'SIGKILL' || sig === 'SIGTERM') this.expectingExit = true;
    this.child!.kill(sig);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exitedP;
  }

  /** Resident set size in KiB (VmRSS), 0 when not running. */
  rssKiB(): number {
    return this.running ? rssKiBOf(this.pid) : 0;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

/** A process's resident set size in KiB (VmRSS from /proc), 0 if it is gone. */
export function rssKiBOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
