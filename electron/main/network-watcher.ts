/**
 * The main process has no 'online' event: poll `net.isOnline()` and report
 * the offline -> online edge; also debounce probes so that resume + network
 * change at once cause one probe.
 */
import type { Clock } from './clock';

export class NetworkWatcher {
  private timer: unknown = null;
  private online: boolean;
  private disposed = false;

  constructor(
    private readonly isOnline: () => boolean,
    private readonly onBackOnline: () => void,
    private readonly clock: Clock,
    private readonly intervalMs = 5_000,
  ) {
    this.online = isOnline();
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      const now = this.isOnline();
      if (now && !this.online) this.onBackOnline();
      this.online = now;
      this.schedule();
    }, this.intervalMs);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Coalesces probe requests arriving within `windowMs` into one call. */
export class ProbeDebouncer {
  private timer: unknown = null;

  constructor(
    private readonly probe: () => void,
    private readonly clock: Clock,
    private readonly windowMs = 1_000,
  ) {}

  request(): void {
    if (this.timer !== null) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.probe();
    }, this.windowMs);
  }

  dispose(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
