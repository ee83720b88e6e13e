/** Counts each user's running transfers, so one user cannot take every connection of the blob service. */
export class TransferLimiter {
  private readonly running = new Map<number, number>();

  constructor(readonly perUser: number) {}

  /** A release function, or undefined when the user is at the limit. Release is idempotent. */
  tryAcquire(userId: number): (() => void) | undefined {
    const now = this.running.get(userId) ?? 0;
    if (now >= this.perUser) return undefined;
    this.running.set(userId, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(userId) ?? 1) - 1;
      if (left <= 0) this.running.delete(userId);
      else this.running.set(userId, left);
    };
  }

  count(userId: number): number {
    return this.running.get(userId) ?? 0;
  }
}
