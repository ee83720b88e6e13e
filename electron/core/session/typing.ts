/**
 * Typing notices are cheap hints: `typing: true` goes out at most once per
 * interval per conversation while the user keeps typing; `false` goes out
 * only if a `true` did.
 */
import type { Clock } from '../clock';

export class TypingThrottle {
  private readonly lastSent = new Map<string, number>();
  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  shouldSend(key: string, typing: boolean): boolean {
    const now = this.clock.now();
    if (!typing) return this.lastSent.delete(key);
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.lastSent.set(key, now);
    return true;
  }
}
