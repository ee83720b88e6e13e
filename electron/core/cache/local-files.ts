/**
 * The encrypted files on this device (`local_files`): downloads, complete or
 * a verified prefix to resume from, and the sender's own uploads, pinned
 * until their message is acknowledged. The files themselves live on disk
 * (../attachments/file-store.ts); this table is their index and their LRU.
 */
import type { LocalFile, LocalFileRepository } from './api';
import type { CacheContext } from './context';

interface Row {
  digest: string;
  size: number;
  have: number;
  pinned: number;
  last_used_at: number;
  exported: string | null;
}

function fromRow(r: Row): LocalFile {
  const file: LocalFile = { digest: r.digest, size: r.size, have: r.have, pinned: r.pinned !== 0, lastUsedAt: r.last_used_at };
  if (r.exported !== null) file.exported = r.exported;
  return file;
}

export class LocalFiles implements LocalFileRepository {
  constructor(private readonly ctx: CacheContext) {}

  get(digest: string): LocalFile | undefined {
    const r = this.ctx.db.stmt<[string], Row>(`SELECT * FROM local_files WHERE digest = ?`).get(digest);
    return r ? fromRow(r) : undefined;
  }

  putComplete(digest: string, size: number, pinned: boolean): void {
    this.ctx.db
      .stmt(
        `INSERT INTO local_files (digest, size, have, pinned, last_used_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (digest) DO UPDATE SET size = excluded.size, have = excluded.have, pinned = max(pinned, excluded.pinned), last_used_at = excluded.last_used_at`,
      )
      .run(digest, size, size, pinned ? 1 : 0, this.ctx.now());
  }

  setHave(digest: string, size: number, have: number): void {
    this.ctx.db
      .stmt(
        `INSERT INTO local_files (digest, size, have, last_used_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (digest) DO UPDATE SET size = excluded.size, have = excluded.have, last_used_at = excluded.last_used_at`,
      )
      .run(digest, size, have, this.ctx.now());
  }

  unpin(digests: readonly string[]): void {
    const stmt = this.ctx.db.stmt(`UPDATE local_files SET pinned = 0, last_used_at = ? WHERE digest = ?`);
    for (const d of digests) stmt.run(this.ctx.now(), d);
  }

  touch(digest: string): void {
    this.ctx.db.stmt(`UPDATE local_files SET last_used_at = ? WHERE digest = ?`).run(this.ctx.now(), digest);
  }

  setExported(digest: string, path: string | undefined): void {
    this.ctx.db.stmt(`UPDATE local_files SET exported = ? WHERE digest = ?`).run(path ?? null, digest);
  }

  remove(digest: string): void {
    this.ctx.db.stmt(`DELETE FROM local_files WHERE digest = ?`).run(digest);
  }

  cachedBytes(): number {
    return this.ctx.db.stmt<[], { n: number | null }>(`SELECT sum(size) AS n FROM local_files WHERE pinned = 0 AND have = size`).get()?.n ?? 0;
  }

  leastRecentlyUsed(limit: number): { digest: string; size: number }[] {
    return this.ctx.db
      .stmt<[number], { digest: string; size: number }>(
        `SELECT digest, size FROM local_files WHERE pinned = 0 AND have = size ORDER BY last_used_at LIMIT ?`,
      )
      .all(limit);
  }

  partial(): LocalFile[] {
    return this.ctx.db.stmt<[], Row>(`SELECT * FROM local_files WHERE have < size`).all().map(fromRow);
  }

  all(): LocalFile[] {
    return this.ctx.db.stmt<[], Row>(`SELECT * FROM local_files`).all().map(fromRow);
  }
}
