/**
 * Token buckets by key (e.g. one per account): each holds up to `burst`
 * tokens and refills at `perMinute` tokens a minute. Taking a token that is
 * not there says how long until one is. Kept in memory: a restart forgets
 * them, which is fine for rate limits. A full bucket is the same as none, so
 * the periodic sweep drops those and the map holds only recently busy keys.
 */
import type { Clock } from '../clock';

/** Refills add fractions of a token; this keeps floating-point dust from costing a token or a millisecond. */
const EPSILON = 1e-6;

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets<K> {
  private readonly buckets = new Map<K, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly clock: Clock,
    readonly burst: number,
    readonly perMinute: number,
  ) {
    if (!(burst >= 1) || !(perMinute > 0)) throw new RangeError('a token bucket needs burst >= 1 and a positive rate');
    this.perMs = perMinute / 60_000;
  }

  /** 0 when a token was taken; otherwise the milliseconds until one will be there (nothing is taken). */
  take(key: K): number {
    const bucket = this.refill(key);
    if (bucket.tokens >= 1 - EPSILON) {
      bucket.tokens -= 1;
      this.buckets.set(key, bucket);
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs - EPSILON));
  }

  /** Gives back a token taken for work that turned out not to count (e.g. a resend the server already had). */
  refund(key: K): void {
    const bucket = this.buckets.get(key);
    if (bucket) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  /** Forgets the buckets that are full again. */
  sweep(): void {
    for (const key of [...this.buckets.keys()]) {
      if (this.refill(key).tokens >= this.burst - EPSILON) this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: K): Bucket {
    const now = this.clock.now();
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    return bucket;
  }
}
