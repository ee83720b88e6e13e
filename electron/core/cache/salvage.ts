/**
 * Last-resort reading of the outbox from a damaged cache file, when SQLite
 * itself refuses the file (a truncated file whose schema pages are gone, a
 * smashed b-tree). It walks every page of the file and of its -wal (WAL
 * frames override the main file's pages), keeps the b-tree leaf pages, and
 * decodes each cell as a record (https://www.sqlite.org/fileformat2.html):
 * a record with the outbox's 8 columns whose values look right is taken.
 *
 * It cannot tell live rows from rows left in free pages, so it may return
 * entries that were already sent; resending them is harmless (the server
 * de-duplicates by client message id and answers with the original ack).
 * Never throws: returns what it found.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

export interface RawOutboxRow {
  client_msg_id: string;
  conv: string;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_error: string | null;
}

type Value = string | number | null | Uint8Array;

/** Reads a SQLite varint at `pos`: [value, bytes used]. */
function varint(buf: Uint8Array, pos: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const b = buf[pos + i];
    if (b === undefined) return [-1, 1];
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) return [v, i + 1];
  }
  const last = buf[pos + 8];
  if (last === undefined) return [-1, 1];
  return [v * 256 + last, 9];
}

function decodeRecord(rec: Uint8Array): Value[] | undefined {
  const [headerSize, n0] = varint(rec, 0);
  if (headerSize < 1 || headerSize > rec.length) return undefined;
  const types: number[] = [];
  for (let p = n0; p < headerSize; ) {
    const [t, n] = varint(rec, p);
    if (t < 0) return undefined;
    types.push(t);
    p += n;
  }
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const values: Value[] = [];
  let p = headerSize;
  for (const t of types) {
    const intSizes: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8 };
    if (t === 0) values.push(null);
    else if (t === 8) values.push(0);
    else if (t === 9) values.push(1);
    else if (t >= 1 && t <= 6) {
      const size = intSizes[t]!;
      if (p + size > rec.length) return undefined;
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + rec[p + i]!;
      if (rec[p]! & 0x80) v -= 2 ** (8 * size); // two's complement
      values.push(v);
      p += size;
    } else if (t === 7) {
      if (p + 8 > rec.length) return undefined;
      values.push(view.getFloat64(p));
      p += 8;
    } else if (t >= 12) {
      const size = (t - (t % 2 === 0 ? 12 : 13)) / 2;
      if (p + size > rec.length) return undefined;
      const bytes = rec.subarray(p, p + size);
      values.push(t % 2 === 0 ? bytes : Buffer.from(bytes).toString('utf8'));
      p += size;
    } else return undefined;
  }
  return values;
}

function asRow(v: Value[]): RawOutboxRow | undefined {
  if (v.length !== 8) return undefined;
  const [id, conv, payload, state, attempts, next, created, err] = v;
  if (typeof id !== 'string' || typeof conv !== 'string' || typeof payload !== 'string' || typeof state !== 'string') return undefined;
  if (typeof attempts !== 'number' || typeof next !== 'number' || typeof created !== 'number') return undefined;
  if (!/^[ug]:\d+$/.test(conv) || !['queued', 'inflight', 'failed'].includes(state) || !payload.startsWith('{')) return undefined;
  return { client_msg_id: id, conv, payload, state, attempts, next_attempt_at: next, created_at: created, last_error: typeof err === 'string' ? err : null };
}

export function scanOutbox(path: string): RawOutboxRow[] {
  const pages = new Map<number, Uint8Array>();
  let pageSize = 4096;
  let reserved = 0;
  try {
    const main = readAll(path);
    if (main && main.length >= 100 && Buffer.from(main.subarray(0, 16)).toString('latin1') === 'SQLite format 3\0') {
      const ps = (main[16]! << 8) | main[17]!;
      const size = ps === 1 ? 65536 : ps;
      if (size >= 512 && size <= 65536 && (size & (size - 1)) === 0) pageSize = size;
      reserved = main[20]!;
    }
    if (main) for (let i = 0; i * pageSize < main.length; i++) pages.set(i + 1, main.subarray(i * pageSize, (i + 1) * pageSize));
    const wal = existsSync(`${path}-wal`) ? readAll(`${path}-wal`) : undefined;
    if (wal && wal.length > 32) {
      const walPageSize = (wal[8]! << 24) | (wal[9]! << 16) | (wal[10]! << 8) | wal[11]!;
      if (walPageSize === pageSize) {
        for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) {
          const pgno = ((wal[off]! << 24) | (wal[off + 1]! << 16) | (wal[off + 2]! << 8) | wal[off + 3]!) >>> 0;
          if (pgno > 0) pages.set(pgno, wal.subarray(off + 24, off + 24 + pageSize));
        }
      }
    }
  } catch {
    return [];
  }
  const usable = pageSize - reserved;
  const found = new Map<string, RawOutboxRow>();
  for (const [pgno, page] of pages) {
    const h = pgno === 1 ? 100 : 0;
    const type = page[h];
    if (type !== 0x0a && type !== 0x0d) continue; // index leaf (WITHOUT ROWID tables) or table leaf
    const cells = ((page[h + 3] ?? 0) << 8) | (page[h + 4] ?? 0);
    for (let c = 0; c < cells; c++) {
      try {
        const ptr = ((page[h + 8 + 2 * c] ?? 0) << 8) | (page[h + 9 + 2 * c] ?? 0);
        if (ptr <= h || ptr >= page.length) continue;
        let p = ptr;
        const [size, n] = varint(page, p);
        p += n;
        if (type === 0x0d) p += varint(page, p)[1]; // rowid
        if (size <= 0 || size > 1_000_000) continue;
        const rec = cellPayload(page, p, size, usable, type, pages);
        const values = rec ? decodeRecord(rec) : undefined;
        const row = values ? asRow(values) : undefined;
        if (row) found.set(row.client_msg_id, row);
      } catch {
        // a damaged cell: skip it
      }
    }
  }
  return [...found.values()];
}

/** The cell's payload, following overflow pages when it does not fit on the leaf. */
function cellPayload(page: Uint8Array, p: number, size: number, usable: number, type: number, pages: Map<number, Uint8Array>): Uint8Array | undefined {
  const x = type === 0x0d ? usable - 35 : Math.floor(((usable - 12) * 64) / 255) - 23;
  if (size <= x) return p + size <= page.length ? page.subarray(p, p + size) : undefined;
  const m = Math.floor(((usable - 12) * 32) / 255) - 23;
  const k = m + ((size - m) % (usable - 4));
  const local = k <= x ? k : m;
  const out = new Uint8Array(size);
  if (p + local + 4 > page.length) return undefined;
  out.set(page.subarray(p, p + local), 0);
  let filled = local;
  let next = ((page[p + local]! << 24) | (page[p + local + 1]! << 16) | (page[p + local + 2]! << 8) | page[p + local + 3]!) >>> 0;
  for (let hops = 0; filled < size && next !== 0 && hops < 1000; hops++) {
    const ov = pages.get(next);
    if (!ov) return undefined;
    const take = Math.min(usable - 4, size - filled);
    out.set(ov.subarray(4, 4 + take), filled);
    filled += take;
    next = ((ov[0]! << 24) | (ov[1]! << 16) | (ov[2]! << 8) | ov[3]!) >>> 0;
  }
  return filled === size ? out : undefined;
}

/** Whole file; undefined if unreadable. Cache files are read once, on a rare recovery. */
function readAll(path: string): Uint8Array | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n <= 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
