/**
 * Where a private PostgreSQL's writes go, between two marks: the figures
 * issue 11 asks for on the cluster store, each named for what it is.
 *
 * - WAL: bytes generated (`pg_current_wal_lsn()` difference), records, and
 *   full-page images (`pg_stat_wal`: after each checkpoint, the first change
 *   to a page logs the whole 8 KiB page; later changes log only the record).
 *   Generated, not written: each commit's flush writes the WAL page it ends
 *   in again (`wal_write`, `wal_sync` count the flushes).
 * - Data files: 8 KiB buffers written by the checkpointer, the background
 *   writer and backends (`pg_stat_bgwriter`), the pages a checkpoint must
 *   write because they were changed since the last one.
 * - The kernel's view, per kind of PostgreSQL process (/proc/PID/io of the
 *   postmaster's children by their title: backends, checkpointer, WAL
 *   writer, background writer, autovacuum; the postmaster's own figure
 *   holds its reaped children: backends that closed, autovacuum workers):
 *   `write_bytes` (pages dirtied in the page cache, counted once per 4 KiB
 *   page each time it turns dirty) and `wchar` (bytes handed to write()).
 *
 * The instance is private to the bench, so its cluster-wide counters are the
 * run's own.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresBinDir } from '../support/postgres';
import pg from 'pg';
import { ioOf, statFields } from './proc';

export interface PgMark {
  lsn: string;
  wal: { records: number; fpi: number; bytes: number; writes: number; syncs: number };
  buffers: { checkpoint: number; clean: number; backend: number; checkpoints: number };
  /** write_bytes and wchar per kind of process. */
  io: Record<string, { writeBytes: number; wchar: number }>;
  /** Bytes written to the block device holding the data directory, by anyone (/sys/block/DEV/stat). */
  device: number;
}

/** The whole disk's written bytes (sectors of 512 bytes): the machine's, not only PostgreSQL's, so an upper bound on a shared machine. */
function deviceWrittenBytes(dataDir: string): number {
  try {
    const dev = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .filter((f) => f.length > 9 && dataDir.startsWith(f[4]!))
      .sort((a, b) => b[4]!.length - a[4]!.length)[0];
    const source = dev?.[dev.indexOf('-') + 2];
    const name = source?.replace(/^\/dev\//, '');
    if (!name) return NaN;
    const fields = readFileSync(`/sys/block/${name}/stat`, 'utf8').trim().split(/\s+/);
    return Number(fields[6]) * 512;
  } catch {
    return NaN;
  }
}

/** "postgres: checkpointer" → checkpointer; a client connection's title → backend. */
function kindOf(pid: number): string {
  const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  const m = /^postgres: (checkpointer|background writer|walwriter|autovacuum launcher|autovacuum worker|logical replication launcher)/.exec(title);
  return m ? m[1]! : 'backend';
}

function processIo(postmaster: number): PgMark['io'] {
  const io: PgMark['io'] = { 'postmaster (and reaped children)': ioOf(postmaster) };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(`/proc/${entry}/stat`)[1]) !== postmaster) continue;
      const kind = kindOf(Number(entry));
      const x = ioOf(Number(entry));
      const sum = (io[kind] ??= { writeBytes: 0, wchar: 0 });
      sum.writeBytes += x.writeBytes;
      sum.wchar += x.wchar;
    } catch {
      // exited while we looked: its figures are in the postmaster's
    }
  }
  return io;
}

export async function pgMark(url: string, postmaster: number, dataDir: string): Promise<PgMark> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(
      `SELECT pg_current_wal_lsn()::text AS lsn, w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_write, w.wal_sync,
              b.buffers_checkpoint, b.buffers_clean, b.buffers_backend, b.checkpoints_timed + b.checkpoints_req AS checkpoints
       FROM pg_stat_wal w, pg_stat_bgwriter b`,
    );
    const r = rows[0]!;
    const n = (k: string) => Number(r[k]);
    return {
      lsn: r.lsn!,
      wal: { records: n('wal_records'), fpi: n('wal_fpi'), bytes: n('wal_bytes'), writes: n('wal_write'), syncs: n('wal_sync') },
      buffers: { checkpoint: n('buffers_checkpoint'), clean: n('buffers_clean'), backend: n('buffers_backend'), checkpoints: n('checkpoints') },
      io: processIo(postmaster),
      device: deviceWrittenBytes(dataDir),
    };
  } finally {
    await client.end();
  }
}

function lsnBytes(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
}

/**
 * The WAL between two marks by record type (`pg_waldump --stats=record`): count, record bytes and full-page-image
 * bytes per message, largest first. Reads the WAL files (as root or the postgres user); undefined if it cannot.
 */
function walByRecordType(dataDir: string, from: string, to: string, messages: number): Record<string, string> | undefined {
  const out = spawnSync(join(postgresBinDir(), 'pg_waldump'), ['--stats=record', '-p', join(dataDir, 'pg_wal'), '-s', from, '-e', to], { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  const rows: Array<[string, number, number, number]> = [];
  // "Heap/INSERT   3000 ( 20.00)   150000 ( 30.00)   0 (  0.00)   150000 ( 30.00)": count, record bytes, FPI bytes, combined.
  for (const line of out.stdout.split('\n')) {
    const m = /^(\S+\/\S+)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)\s+\(\s*[\d.]+\)\s+(\d+)/.exec(line);
    if (m) rows.push([m[1]!, Number(m[2]), Number(m[3]), Number(m[4])]);
  }
  rows.sort((a, b) => b[2] + b[3] - (a[2] + a[3]));
  const per = (x: number) => (x / Math.max(1, messages)).toFixed(2);
  return Object.fromEntries(rows.map(([name, count, rec, fpi]) => [name, `${per(count)} records, ${per(rec)} B + FPI ${per(fpi)} B`]));
}

/** Per message between two marks. The caller takes a CHECKPOINT before `to`, so the data-file writes of the changes are in. */
export function pgReport(from: PgMark, to: PgMark, messages: number, dataDir?: string): Record<string, unknown> {
  const per = (x: number, digits = 0) => Number((x / Math.max(1, messages)).toFixed(digits));
  const buffers = to.buffers.checkpoint - from.buffers.checkpoint + (to.buffers.clean - from.buffers.clean) + (to.buffers.backend - from.buffers.backend);
  const walBytes = lsnBytes(to.lsn) - lsnBytes(from.lsn);
  const fpi = to.wal.fpi - from.wal.fpi;
  const io: Record<string, { writeBytesPerMessage: number; wcharPerMessage: number }> = {};
  let writeBytes = 0;
  for (const [kind, x] of Object.entries(to.io)) {
    const before = from.io[kind] ?? { writeBytes: 0, wchar: 0 };
    writeBytes += x.writeBytes - before.writeBytes;
    io[kind] = { writeBytesPerMessage: per(x.writeBytes - before.writeBytes), wcharPerMessage: per(x.wchar - before.wchar) };
  }
  return {
    walBytesPerMessage: per(walBytes),
    walRecordsPerMessage: per(to.wal.records - from.wal.records, 2),
    walFullPageImagesPerMessage: per(fpi, 3),
    walFlushesPerMessage: per(to.wal.syncs - from.wal.syncs, 3),
    dataBuffersWrittenPerMessage: per(buffers, 3),
    dataBytesWrittenPerMessage: per(buffers * 8192),
    checkpoints: to.buffers.checkpoints - from.buffers.checkpoints,
    writeBytesPerMessage: per(writeBytes),
    pagesWrittenPerMessage: per(writeBytes / 4096, 2),
    byProcess: io,
    // Everything written to the disk during the run, whoever wrote it (the ext4 journal too): an upper bound here.
    deviceBytesWrittenPerMessage: per(to.device - from.device),
    walByRecordType: dataDir && walByRecordType(dataDir, from.lsn, to.lsn, messages),
  };
}
