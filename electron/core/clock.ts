import type { Disposable } from '../../shared/util/disposable';

/**
 * Time as a dependency: every timer of the core goes through a `Clock`, so
 * heartbeat, back-off and outbox logic run under a manual clock in tests
 * (milliseconds of fake time, no sleeping).
 */
export interface TimerHandle {
  /** Opaque; only for `clearTimeout`. */
  readonly __timer: unique symbol;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

/**
 * One re-armable timer: `set` replaces any pending run. A Disposable: its
 * owner registers it in its DisposableStore, so nothing outlives the owner.
 */
export class Timer implements Disposable {
  private handle: TimerHandle | undefined;
  constructor(private readonly clock: Clock) {}

  set(ms: number, fn: () => void): void {
    this.clear();
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      fn();
    }, ms);
  }

  clear(): void {
    if (this.handle !== undefined) {
      this.clock.clearTimeout(this.handle);
      this.handle = undefined;
    }
  }

  get pending(): boolean {
    return this.handle !== undefined;
  }

  dispose(): void {
    this.clear();
  }
}
