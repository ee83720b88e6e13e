/**
 * What the server-side benchmarks share: realistic text, /proc readings
 * (CPU time of processes and their children, resident memory), Prometheus
 * scraping, percentiles, and registering users in bulk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { TestClient, type Endpoint } from '../server/helpers/client';
import { cpuSeconds, reapedChildrenCpuSeconds, statFields } from './proc';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** p50/p90/p99/max of a list of milliseconds. */
export function latencySummary(values: readonly number[]): { count: number; p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: round(percentile(sorted, 50)), p90Ms: round(percentile(sorted, 90)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? NaN) };
}

/** Real sentences from Debian's fortunes (Chinese and English), or a few fallbacks. */
export function sentences(): string[] {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').split('\n%\n').map((s) => s.trim()).filter((s) => s.length > 0 && s.length < 400);
    } catch {
      return [];
    }
  };
  const all = [...read('/usr/share/games/fortunes/chinese'), ...read('/usr/share/games/fortunes/fortunes')];
  return all.length > 0 ? all : ['hello 你好', 'the quick brown fox', '今天天气很好'];
}

/** Prometheus text as name{labels} -> value. */
export async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** /proc/PID/stat's fields after the command name, or undefined once the process is gone. */
function fieldsOf(pid: string): string[] | undefined {
  try {
    return statFields(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
}

/** CPU seconds of a process, 0 once it is gone. */
function cpuSecondsOrZero(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

/** `pid` and every process below it (PostgreSQL's backends and workers under the postmaster). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = fieldsOf(entry);
    if (!fields) continue;
    const parent = Number(fields[1]);
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Resident memory of a process in bytes (0 once gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Proportional set size in bytes: resident memory with shared pages divided
 * among the processes sharing them, so a sum over PostgreSQL's processes
 * counts its shared buffers once (a sum of RSS counts them once per backend).
 */
export function pssBytes(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function reapedOrZero(pid: number): number {
  try {
    return reapedChildrenCpuSeconds(pid);
  } catch {
    return 0;
  }
}

/**
 * CPU time of named groups of processes (with, for a tree root, every
 * descendant: PostgreSQL's backends under the postmaster), between samples.
 * A process that appears later counts from zero. One that exits keeps what
 * it had at the previous sample, and in a tree what it used after that is
 * found in its root's reaped-children time (PostgreSQL's pools close idle
 * connections, so over a long run many backends come and go: without this
 * their time was lost).
 */
export class CpuMeter<G extends string> {
  /** CPU seconds per pid at the last sample; a tree root's reaped-children time under -root. */
  private last: Map<number, number> | undefined;
  /** Which tree root a pid was found under. */
  private readonly treeOf = new Map<number, number>();

  constructor(private readonly groups: Record<G, () => { pids?: number[]; trees?: number[] }>) {}

  /** CPU seconds per group (and `total`) since the previous sample; the first sample starts the count. */
  sample(): Record<G | 'total', number> {
    const first = this.last === undefined;
    const last = this.last ?? new Map<number, number>();
    const next = new Map<number, number>();
    const out = { total: 0 } as Record<G | 'total', number>;
    for (const [group, roots] of Object.entries(this.groups) as Array<[G, () => { pids?: number[]; trees?: number[] }]>) {
      const { pids = [], trees = [] } = roots();
      let used = 0;
      for (const pid of new Set([...pids, ...trees.flatMap((t) => processTree(t))])) {
        const now = cpuSecondsOrZero(pid);
        next.set(pid, now);
        used += first ? 0 : now - (last.get(pid) ?? 0);
      }
      for (const root of trees) {
        // Children reaped since the last sample: their whole time is in the root's, less what was counted of them before.
        const reaped = reapedOrZero(root);
        const key = -root;
        next.set(key, reaped);
        if (first || !last.has(key)) continue;
        const countedBefore = [...last.keys()].filter((pid) => pid > 0 && !next.has(pid) && this.treeOf.get(pid) === root).reduce((s, pid) => s + last.get(pid)!, 0);
        used += Math.max(0, reaped - last.get(key)! - countedBefore);
      }
      for (const root of trees) for (const pid of processTree(root)) this.treeOf.set(pid, root);
      out[group] = round(used, 3);
      out.total = round(out.total + used, 3);
    }
    this.last = next;
    return out;
  }
}

/** Connected clients registered as `${prefix}${i}`, the i-th on `endpoints[place(i) % endpoints.length]`. */
export async function registerUsers(endpoints: readonly Endpoint[], prefix: string, n: number, place: (i: number) => number = (i) => i, concurrency = 25): Promise<TestClient[]> {
  const out: TestClient[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        const c = await TestClient.connect(endpoints[place(i) % endpoints.length]!);
        await c.register(`${prefix}${i}`);
        out[i] = c;
      }
    }),
  );
  return out;
}
