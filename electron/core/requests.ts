/**
 * Request/response correlation over one connection: serial allocation,
 * per-request timeouts, and rejection of everything pending when the
 * connection goes away.
 */
import { Timer, type Clock } from './clock';
import { CoreError } from './errors';

interface Pending {
  command: number;
  resolve: (frame: { code: number; payload: Uint8Array }) => void;
  reject: (err: Error) => void;
  timer: Timer;
}

export class RequestTracker {
  private nextSerial = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly clock: Clock) {}

  /** Allocates a serial and waits for the answer with the same serial and command. */
  begin(command: number, timeoutMs: number): { serial: number; response: Promise<{ code: number; payload: Uint8Array }> } {
    const serial = this.allocate();
    const response = new Promise<{ code: number; payload: Uint8Array }>((resolve, reject) => {
      const timer = new Timer(this.clock);
      this.pending.set(serial, { command, resolve, reject, timer });
      timer.set(timeoutMs, () => {
        this.pending.delete(serial);
        reject(new CoreError('TIMEOUT', `no answer to command ${command} within ${timeoutMs} ms`));
      });
    });
    return { serial, response };
  }

  /** Hands a response frame to its waiter; false if nobody waits for it (late or unknown). */
  settle(frame: { serial: number; command: number; code: number; payload: Uint8Array }): boolean {
    const entry = this.pending.get(frame.serial);
    if (!entry || entry.command !== frame.command) return false;
    this.pending.delete(frame.serial);
    entry.timer.clear();
    entry.resolve(frame);
    return true;
  }

  /** Fails one request (e.g. the frame could not be sent). */
  fail(serial: number, err: Error): void {
    const entry = this.pending.get(serial);
    if (!entry) return;
    this.pending.delete(serial);
    entry.timer.clear();
    entry.reject(err);
  }

  rejectAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const entry of all) {
      entry.timer.clear();
      entry.reject(err);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  private allocate(): number {
    // Serials are int32 on the wire; skip 0 and any still in use after a wrap.
    for (;;) {
      const serial = this.nextSerial;
      this.nextSerial = this.nextSerial >= 0x7fffffff ? 1 : this.nextSerial + 1;
      if (!this.pending.has(serial)) return serial;
    }
  }
}
