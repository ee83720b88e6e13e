/**
 * Jittered exponential back-off for reconnects: the n-th consecutive failure
 * (0-based) waits a uniformly random time in [d/2, d] with
 * d = min(max, initial * 2^n). Half-jitter keeps the first retry fast
 * (0.5-1 s by default) while spreading a crowd of clients reconnecting to a
 * restarted server.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(30, Math.max(0, attempt));
  const ceiling = Math.min(maxMs, initialMs * 2 ** exp);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Round-robin over the endpoint list: after a failure the next one is tried. */
export class EndpointRotation<T> {
  private index = 0;
  constructor(private items: readonly T[]) {
    if (items.length === 0) throw new RangeError('at least one endpoint is needed');
  }

  get current(): T {
    return this.items[this.index % this.items.length]!;
  }

  get position(): number {
    return this.index % this.items.length;
  }

  get size(): number {
    return this.items.length;
  }

  advance(): T {
    this.index = (this.index + 1) % this.items.length;
    return this.current;
  }

  reset(items?: readonly T[]): void {
    if (items) {
      if (items.length === 0) throw new RangeError('at least one endpoint is needed');
      this.items = items;
    }
    this.index = 0;
  }
}
