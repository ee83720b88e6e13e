/** Sync cursors (one per domain over the user's sequence) and small account metadata. */
import type { SyncDomain } from '../../../shared/protocol';
import type { SyncStateRepository } from './api';
import { parseJson, type CacheContext } from './context';

/** Meta key of the account's last-seen setting as the server last told it ('everyone' when never told). */
export const PRIVACY_LAST_SEEN = 'privacy.lastSeen';

export class SyncState implements SyncStateRepository {
  constructor(private readonly ctx: CacheContext) {}

  getCursor(domain: SyncDomain): number {
    return this.ctx.db.stmt<[number], { seq: number }>(`SELECT seq FROM sync_cursors WHERE domain = ?`).get(domain)?.seq ?? 0;
  }

  setCursor(domain: SyncDomain, seq: number): number {
    this.ctx.db
      .stmt(`INSERT INTO sync_cursors (domain, seq) VALUES (?, ?) ON CONFLICT (domain) DO UPDATE SET seq = max(seq, excluded.seq)`)
      .run(domain, seq);
    return this.getCursor(domain);
  }

  getCursors(): Partial<Record<SyncDomain, number>> {
    const out: Partial<Record<SyncDomain, number>> = {};
    for (const r of this.ctx.db.stmt<[], { domain: SyncDomain; seq: number }>(`SELECT domain, seq FROM sync_cursors`).all()) out[r.domain] = r.seq;
    return out;
  }

  getMeta<T = unknown>(key: string): T | undefined {
    const r = this.ctx.db.stmt<[string], { value: string }>(`SELECT value FROM meta WHERE key = ?`).get(key);
    return r ? parseJson<T | undefined>(r.value, undefined) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    if (value === undefined) this.ctx.db.stmt(`DELETE FROM meta WHERE key = ?`).run(key);
    else this.ctx.db.stmt(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, JSON.stringify(value));
  }
}
