/**
 * How long the host's main thread (Electron main, or the web shell's Node
 * process) is blocked while the core does heavy work:
 *
 *   npm run bench -- core-thread [--core inline|worker|both] [--messages N] [--sends N]
 *
 * A server (child process) is seeded like `npm run bench -- client` (10,000
 * offline messages, 5,000 friends, 200 groups of 200 members); a fresh core
 * signs in with the password, syncs all of it, then sends N (1,000) messages
 * through the contract and waits until every one is acknowledged. The host
 * thread does what a shell does: dispatches the calls with the contract's
 * validation and serialises every core event (as webContents.send or the web
 * shell's WebSocket would).
 *
 * `hostLongestStallMs` is the longest time the host thread could not run a
 * timer: the max of perf_hooks.monitorEventLoopDelay (minus its resolution)
 * and of a 5 ms timer-drift probe, over sign-in, sync and sends. The goal is
 * one frame (16 ms). Wall-clock stalls include time the OS gave to other
 * processes, so beside them, from the scheduler's own accounting of the host
 * thread: how much of the longest stall it was on a CPU
 * (`hostLongestStallCpuMs`) or waiting for one (`hostLongestStallWaitMs`),
 * the most CPU it used between two ticks (`hostLongestBusyMs`: its longest
 * task, load or not), its total CPU (`hostThreadCpuMs`) and event-loop
 * utilization. `--core inline` runs the
 * core on the host thread (the first version); `worker` on a worker thread of
 * the host (issue 14); `both` (default) one after the other, each on a copy
 * of the same seeded server.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { directKey, type MessengerEvents, type MessageView, type ServerEndpoint } from '../../shared/ipc';
import { createCore } from '../../electron/core/index';
import { coreThreadFromSources, startCoreThread } from '../../electron/host/core-thread';
import { createDispatcher } from '../../electron/host/dispatch';
import { forwardEvents } from '../../electron/host/events';
import { webShellHandlers } from '../../electron/host/app-info';
import { childServer } from '../core/helpers/server';
import { BENCH_PASSWORD, seed } from './client';

type Mode = 'inline' | 'worker';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

function modes(args: string[]): Mode[] {
  const i = args.indexOf('--core');
  const v = i >= 0 ? args[i + 1] : 'both';
  if (v === 'inline' || v === 'worker') return [v];
  if (v === 'both') return ['inline', 'worker'];
  throw new Error(`--core must be inline, worker or both (got ${String(v)})`);
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * CPU time (ms) this process's main thread has used, from /proc: the host
 * thread's own work, apart from the core's thread. Stable under load, unlike
 * wall-clock stalls, which also count time the OS gave to other processes.
 */
function hostThreadCpuMs(): number {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks (100 Hz)
}

/** This thread's time on a CPU and waiting for one, in ms, from the scheduler (/proc/.../schedstat, ns precision). */
function schedstat(): { cpuMs: number; waitMs: number } {
  const [cpu, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
  return { cpuMs: Number(cpu) / 1e6, waitMs: Number(wait) / 1e6 };
}

/**
 * Measures how long this thread is blocked from now until `stop()`: the
 * longest gap between two runs of a 5 ms timer (and perf_hooks'
 * monitorEventLoopDelay), and, from the scheduler, how much of that gap the
 * thread spent on a CPU (its own work) rather than waiting for one (other
 * processes). `longestBusyMs` is the most CPU the thread used between two
 * ticks: its longest task, whatever the machine's load.
 */
function stallMonitor() {
  const resolutionMs = 5;
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  let longest = { gapMs: 0, cpuMs: 0, waitMs: 0 };
  let longestBusyMs = 0;
  const start = schedstat();
  let last = { at: performance.now(), ...start };
  const probe = setInterval(() => {
    const now = { at: performance.now(), ...schedstat() };
    const gapMs = now.at - last.at - resolutionMs;
    const cpuMs = now.cpuMs - last.cpuMs;
    if (gapMs > longest.gapMs) longest = { gapMs, cpuMs, waitMs: now.waitMs - last.waitMs };
    longestBusyMs = Math.max(longestBusyMs, cpuMs);
    last = now;
  }, resolutionMs);
  histogram.enable();
  return {
    stop() {
      histogram.disable();
      clearInterval(probe);
      const end = schedstat();
      return {
        longestMs: round(Math.max(histogram.max / 1e6 - resolutionMs, longest.gapMs, 0)),
        longestCpuMs: round(longest.cpuMs),
        longestWaitMs: round(longest.waitMs),
        longestBusyMs: round(longestBusyMs),
        runQueueWaitMs: Math.round(end.waitMs - start.waitMs),
        p99Ms: round(histogram.percentile(99) / 1e6),
      };
    },
  };
}

interface Hosted {
  call(method: string, args: unknown): Promise<unknown>;
  on<E extends keyof MessengerEvents>(event: E, listener: (payload: MessengerEvents[E]) => void): () => void;
  close(): Promise<void>;
}

async function hostCore(mode: Mode, dataDir: string, servers: ServerEndpoint[]): Promise<Hosted> {
  const core =
    mode === 'inline'
      ? await createCore({ dataDir, defaultServers: servers })
      : await startCoreThread({
          entry: coreThreadFromSources(),
          config: { dataDir, defaultServers: servers, deviceName: 'bench', clientName: 'bench', logLevel: 'warn' },
          log: { info() {}, warn() {}, error() {} },
        });
  const dispatch = createDispatcher(core, webShellHandlers('bench'));
  // What a shell does with every event: serialise it for the renderer.
  const stopForwarding = forwardEvents(core, (event, payload) => void JSON.stringify({ event, payload }));
  return {
    async call(method, args) {
      const result = await dispatch(method, args);
      if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
      return result.value;
    },
    on: (event, listener) => core.on(event, listener),
    async close() {
      stopForwarding();
      await core.dispose();
    },
  };
}

async function runMode(mode: Mode, seededDir: string, dir: string, sends: number) {
  // Every mode starts from the same seeded server data (a copy) and a fresh client.
  const serverDir = join(dir, `server-${mode}`);
  cpSync(seededDir, serverDir, { recursive: true });
  // 1,000 sends in a burst from one account: lift the server's per-account send rate (server/limits) out of the way.
  const server = await childServer(serverDir, 0, { TERN_SERVER_SEND_BURST: '1000000', TERN_SERVER_SEND_PER_MINUTE: '60000000' });
  const host = await hostCore(mode, join(dir, `client-${mode}`), [server.endpoint]);
  try {
    const cpuBefore = process.cpuUsage();
    const hostCpuBefore = hostThreadCpuMs();
    const elu = performance.eventLoopUtilization();
    const monitor = stallMonitor();
    const t0 = performance.now();
    const online = new Promise<void>((resolve) => {
      const off = host.on('connectionState', (s) => {
        if (s.state === 'online') {
          off();
          resolve();
        }
      });
    });
    await host.call('login', { username: 'bench', password: BENCH_PASSWORD });
    await online;
    const syncedMs = performance.now() - t0;

    const friends = (await host.call('listFriends', {})) as { userId: number }[];
    const targets = friends.slice(0, 10).map((f) => directKey(f.userId));
    const pending = new Set<string>();
    let allAcked!: () => void;
    const acked = new Promise<void>((resolve) => (allAcked = resolve));
    let sending = true;
    const offMessages = host.on('messagesChanged', ({ messages }: { messages: MessageView[] }) => {
      for (const m of messages) if (m.outgoing && m.status !== 'pending' && m.status !== 'failed') pending.delete(m.id);
      if (!sending && pending.size === 0) allAcked();
    });
    const t1 = performance.now();
    for (let i = 0; i < sends; i++) {
      const sent = (await host.call('sendMessage', { key: targets[i % targets.length]!, text: `bench message ${i} 基准测试消息` })) as { id: string } | MessageView;
      if ('status' in sent && sent.status !== 'pending') continue;
      pending.add(sent.id);
    }
    sending = false;
    if (pending.size > 0) await acked;
    offMessages();
    const sentMs = performance.now() - t1;
    const stall = monitor.stop();
    const cpu = process.cpuUsage(cpuBefore);
    const hostCpuMs = hostThreadCpuMs() - hostCpuBefore;
    const busy = performance.eventLoopUtilization(elu);
    return {
      mode,
      hostLongestStallMs: stall.longestMs,
      // Of that longest stall: the host thread on a CPU vs waiting for one (other processes' turn).
      hostLongestStallCpuMs: stall.longestCpuMs,
      hostLongestStallWaitMs: stall.longestWaitMs,
      hostLongestBusyMs: stall.longestBusyMs,
      hostRunQueueWaitMs: stall.runQueueWaitMs,
      hostDelayP99Ms: stall.p99Ms,
      fullySyncedMs: Math.round(syncedMs),
      sendsAckedMs: Math.round(sentMs),
      hostThreadCpuMs: hostCpuMs,
      hostEventLoopUtilization: round(busy.utilization),
      processCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  } finally {
    await host.close();
    await server.stop();
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const counts = {
    messages: option(args, 'messages', 10_000),
    friends: option(args, 'friends', 5_000),
    groups: option(args, 'groups', 200),
    members: option(args, 'members', 200),
  };
  const sends = option(args, 'sends', 1_000);
  const dir = mkdtempSync(join(tmpdir(), 'tern-bench-core-thread-'));
  try {
    const seededDir = join(dir, 'seeded');
    await seed(seededDir, counts);
    const runs = [];
    for (const mode of modes(args)) runs.push(await runMode(mode, seededDir, dir, sends));
    const results = { seeded: counts, sends, runs, goal: { hostLongestStallMs: 16 } };
    console.log(JSON.stringify(results, null, 2));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
