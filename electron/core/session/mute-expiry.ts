/**
 * Timed mutes end by themselves: the cache compares `muted_until` with the
 * clock, so nothing needs writing, but the UI and the badge must hear of it.
 * One timer, armed for the earliest end; when it fires, the conversations
 * whose mute ended are announced and the badge total is sent again.
 */
import type { ConversationView } from '../../../shared/ipc';
import type { Disposable } from '../../../shared/util/disposable';
import type { Cache } from '../cache/api';
import { Timer, type Clock } from '../clock';

/** Timers longer than this are re-armed in steps (Node's setTimeout overflows past 2^31 ms). */
const MAX_WAIT_MS = 24 * 3_600_000;

export class MuteExpiry implements Disposable {
  private readonly timer: Timer;
  private armedFor: number | undefined;
  private lastCheck: number;

  constructor(
    private readonly cache: Cache,
    private readonly clock: Clock,
    private readonly changed: (conversations: ConversationView[]) => void,
  ) {
    this.timer = new Timer(clock);
    this.lastCheck = clock.now();
  }

  /** Call after any mute change (and once at start). */
  reschedule(): void {
    const end = this.cache.conversations.nextMuteEnd();
    if (end === undefined) {
      this.timer.clear();
      this.armedFor = undefined;
      return;
    }
    if (this.armedFor === end) return;
    this.armedFor = end;
    this.timer.set(Math.min(MAX_WAIT_MS, Math.max(0, end - this.clock.now())), () => this.fire());
  }

  private fire(): void {
    this.armedFor = undefined;
    const now = this.clock.now();
    const ended = this.cache.conversations.mutesEndedBetween(this.lastCheck, now);
    this.lastCheck = now;
    if (ended.length > 0) this.changed(ended);
    this.reschedule();
  }

  dispose(): void {
    this.timer.dispose();
  }
}
