/**
 * Counts events per key in a sliding window (kept in memory: a restart
 * forgets them, which is fine for throttling). Once `limit` events are inside
 * the window, `retryAfter` says how long until the oldest of them expires.
 */
import type { Clock } from '../clock';

export class SlidingWindow<K> {
  private readonly events = new Map<K, number[]>();

  constructor(
    private readonly clock: Clock,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** 0 when below the limit, otherwise milliseconds until it will be. */
  retryAfter(key: K): number {
    const list = this.prune(key);
    if (!list || list.length < this.limit) return 0;
    return Math.max(1, list[list.length - this.limit]! + this.windowMs - this.clock.now());
  }

  add(key: K): void {
    const list = this.prune(key) ?? [];
    list.push(this.clock.now());
    // Keep at most `limit` timestamps: older ones cannot matter.
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.events.set(key, list);
  }

  /** Takes back the newest event of `key` (one that turned out not to count). */
  removeNewest(key: K): void {
    const list = this.events.get(key);
    if (!list) return;
    list.pop();
    if (list.length === 0) this.events.delete(key);
  }

  /** Drops expired entries everywhere (called from the periodic sweep). */
  sweep(): void {
    for (const key of [...this.events.keys()]) this.prune(key);
  }

  get size(): number {
    return this.events.size;
  }

  private prune(key: K): number[] | undefined {
    const list = this.events.get(key);
    if (!list) return undefined;
    const cutoff = this.clock.now() - this.windowMs;
    while (list.length > 0 && list[0]! <= cutoff) list.shift();
    if (list.length === 0) {
      this.events.delete(key);
      return undefined;
    }
    return list;
  }
}
