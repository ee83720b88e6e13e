/**
 * Liveness of one connection.
 *
 * Any frame received is proof of life, so a busy line never sees a PING.
 * When nothing arrived for `intervalMs`, a PING goes out; if still nothing
 * arrives within `timeoutMs` that is a miss and another PING follows at once;
 * after `misses` consecutive misses the connection is declared dead.
 *
 * `probe()` (system resume, network change) sends a PING now and uses the
 * short `probeTimeoutMs` for its misses: a dead socket is found in seconds.
 * A healthy connection answers the PING, so a probe never drops it (no
 * presence flap).
 */
import { Timer, type Clock } from './clock';

export interface HeartbeatOptions {
  intervalMs: number;
  timeoutMs: number;
  misses: number;
  probeTimeoutMs: number;
}

export class Heartbeat {
  private readonly timer: Timer;
  private lastReceivedAt: number;
  private awaiting = false;
  private missed = 0;
  private probing = false;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: HeartbeatOptions,
    private readonly sendPing: () => void,
    private readonly onDead: (missed: number) => void,
  ) {
    this.timer = new Timer(clock);
    this.lastReceivedAt = clock.now();
  }

  start(): void {
    this.running = true;
    this.lastReceivedAt = this.clock.now();
    this.armIdle();
  }

  stop(): void {
    this.running = false;
    this.timer.clear();
  }

  /** Call for every frame received. Cheap: no timer work unless a PING is out. */
  received(): void {
    this.lastReceivedAt = this.clock.now();
    if (this.awaiting) {
      this.awaiting = false;
      this.probing = false;
      this.missed = 0;
      this.armIdle();
    }
  }

  probe(): void {
    if (!this.running) return;
    this.probing = true;
    this.missed = 0;
    this.ping();
  }

  /** Consecutive misses so far (for logs and tests). */
  get misses(): number {
    return this.missed;
  }

  private armIdle(): void {
    if (!this.running) return;
    const due = this.lastReceivedAt + this.options.intervalMs - this.clock.now();
    this.timer.set(Math.max(0, due), () => this.onIdleTimer());
  }

  private onIdleTimer(): void {
    if (this.clock.now() - this.lastReceivedAt >= this.options.intervalMs) this.ping();
    else this.armIdle();
  }

  private ping(): void {
    this.awaiting = true;
    this.sendPing();
    this.timer.set(this.probing ? this.options.probeTimeoutMs : this.options.timeoutMs, () => this.onTimeout());
  }

  private onTimeout(): void {
    this.missed += 1;
    if (this.missed >= this.options.misses) {
      this.stop();
      this.onDead(this.missed);
      return;
    }
    this.ping();
  }
}
