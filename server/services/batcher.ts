/**
 * Group commit. Writes queued during one event-loop turn run in a single
 * transaction (one fsync with synchronous=FULL), each in its own savepoint so
 * one failing write does not undo the others. Promises settle only after the
 * commit, so an ack always means "durably stored".
 */
import type { EventLog } from './event-log';

interface Job {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class WriteBatcher {
  private queue: Job[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  /** Number of transactions committed and jobs run (for metrics and the benchmark). */
  batches = 0;
  jobs = 0;

  constructor(
    private readonly events: EventLog,
    private readonly maxBatch = 2000,
  ) {}

  run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('write batcher closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Commits everything queued (used on shutdown), then refuses new work. */
  close(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    while (this.queue.length > 0) this.flushOnce();
    this.closed = true;
  }

  private flush(): void {
    this.scheduled = undefined;
    this.flushOnce();
    if (this.queue.length > 0) this.scheduled = setImmediate(() => this.flush());
  }

  private flushOnce(): void {
    const jobs = this.queue.splice(0, this.maxBatch);
    if (jobs.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.events.commit(() => {
        for (const job of jobs) {
          try {
            outcomes.push({ ok: true, value: this.events.commit(job.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const job of jobs) job.reject(error);
      return;
    }
    this.batches++;
    this.jobs += jobs.length;
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
