/**
 * Counts failures per key in a sliding window (kept in memory: a restart
 * forgets them, which is acceptable for throttling). Once `limit` failures
 * are inside the window, `check` reports how long to wait until the oldest
 * one expires.
 */
import type { Clock } from '../clock';

export class FailureThrottle {
  private failures = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** 0 when allowed, otherwise milliseconds until the next attempt is allowed. */
  check(key: string): number {
    const list = this.prune(key);
    if (!list || list.length < this.limit) return 0;
    return Math.max(1, list[list.length - this.limit]! + this.windowMs - this.clock.now());
  }

  record(key: string): void {
    const list = this.prune(key) ?? [];
    list.push(this.clock.now());
    // Keep at most `limit` timestamps: older ones cannot matter.
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.failures.set(key, list);
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  /** Drops expired entries everywhere (called from the periodic sweep). */
  sweep(): void {
    for (const key of [...this.failures.keys()]) this.prune(key);
  }

  get size(): number {
    return this.failures.size;
  }

  private prune(key: string): number[] | undefined {
    const list = this.failures.get(key);
    if (!list) return undefined;
    const cutoff = this.clock.now() - this.windowMs;
    while (list.length > 0 && list[0]! <= cutoff) list.shift();
    if (list.length === 0) {
      this.failures.delete(key);
      return undefined;
    }
    return list;
  }
}
