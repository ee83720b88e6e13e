/**
 * What a process (and, for a database server, its children) has cost, from
 * /proc: CPU seconds and bytes written. Wall-clock rates swing with the load
 * of a shared machine; these are stable to ~10%, so benchmarks report them
 * per unit of work beside the rates.
 *
 * - cpu: utime + stime of every thread; for a tree, the root's own plus its
 *   reaped children's (cutime, cstime) plus every live child's, so a child
 *   that exits between two readings is neither lost nor counted twice.
 * - io: `write_bytes` (bytes this process caused to be written to storage,
 *   counted when pages are dirtied, fsynced or not) and `wchar` (bytes passed
 *   to write() and friends); reaped children's are in the parent's, as above.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

export interface Usage {
  cpuSeconds: number;
  writeBytes: number;
  wchar: number;
}

export function statFields(file: string): string[] {
  // The command name may hold spaces and parentheses: split after the last ')'.
  const text = readFileSync(file, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** CPU time of the children `pid` has reaped (cutime + cstime): where an exited PostgreSQL backend's time goes. */
export function reapedChildrenCpuSeconds(pid: number): number {
  const f = statFields(`/proc/${pid}/stat`);
  return (Number(f[13]) + Number(f[14])) / TICKS;
}

/** CPU seconds of a process (all threads), or of one thread with `thread`. */
export function cpuSeconds(pid: number, thread?: number): number {
  const f = statFields(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`);
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** CPU seconds of each live thread of a process, by thread id. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), cpuSeconds(pid, Number(tid)));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

/**
 * Where a process's CPU went between two `threadCpuSeconds` readings: the
 * main thread (tid = pid), then every other thread that ran, busiest first
 * (threads carry no names we can tell apart: for our server the first is the
 * SQLite worker, the next few V8's platform threads, i.e. GC and compiling).
 */
export function threadCpuDelta(pid: number, from: Map<number, number>, to: Map<number, number>): { main: number; others: number[] } {
  const others: number[] = [];
  for (const [tid, seconds] of to) {
    if (tid === pid) continue;
    const spent = seconds - (from.get(tid) ?? 0);
    if (spent > 0) others.push(spent);
  }
  return { main: (to.get(pid) ?? 0) - (from.get(pid) ?? 0), others: others.sort((a, b) => b - a) };
}

/** `write_bytes` and `wchar` of a process (its reaped children's included). */
export function ioOf(pid: number): { writeBytes: number; wchar: number } {
  const out = { writeBytes: 0, wchar: 0 };
  for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
    const [key, value] = line.split(': ');
    if (key === 'write_bytes') out.writeBytes = Number(value);
    if (key === 'wchar') out.wchar = Number(value);
  }
  return out;
}

/** One process: its threads' CPU and its I/O. */
export function processUsage(pid: number): Usage {
  return { cpuSeconds: cpuSeconds(pid), ...ioOf(pid) };
}

/** A process and its children (PostgreSQL: the postmaster and its backends, WAL writer, checkpointer...). */
export function treeUsage(root: number): Usage {
  const f = statFields(`/proc/${root}/stat`);
  const total = { cpuSeconds: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS, ...ioOf(root) };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const c = statFields(`/proc/${entry}/stat`);
      if (Number(c[1]) !== root) continue; // ppid
      total.cpuSeconds += (Number(c[11]) + Number(c[12]) + Number(c[13]) + Number(c[14])) / TICKS;
      const childIo = ioOf(Number(entry));
      total.writeBytes += childIo.writeBytes;
      total.wchar += childIo.wchar;
    } catch {
      // exited while we looked: its usage is in the root's reaped totals
    }
  }
  return total;
}
