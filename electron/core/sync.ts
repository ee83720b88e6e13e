/**
 * The sync engine: keeps the cache equal to the server's per-user event log.
 *
 * - Login sync, domain by domain in the order the user needs them
 *   (messages first: the conversation list is usable after its first page;
 *   then friends, profiles, groups, members). Each domain has its own cursor
 *   over the one per-user sequence; a domain already at the login's
 *   `sync_head` costs no request.
 * - Pushes: applied at once when they are the next number of the sequence
 *   (`contiguous + 1`), ignored (but acknowledged) when already held, and a
 *   gap triggers a pull of everything after `contiguous`. PUSH_ACK is sent
 *   only after the event is stored.
 * - A gap pull that fails (the server's database restarting answers
 *   UNAVAILABLE) is tried again after a back-off (at least the server's
 *   retry hint) until the gap is filled, while the link lasts: the pushes
 *   that revealed the gap may have been the last ones for a long time, so
 *   waiting for the next push could leave the hole open indefinitely. A new
 *   link's login sync covers it instead.
 * - Big pages are applied in slices with a yield to the event loop between
 *   them, so the process never stalls for long during a backlog.
 *
 * All work runs on one lane (a promise chain): a push that arrives during a
 * pull waits for it, so events are applied in sequence order.
 */
import { performance } from 'node:perf_hooks';
import { syncPhases, type SyncPhase } from '../../shared/ipc';
import type { Disposable } from '../../shared/util/disposable';
import { Command, PushAckSchema, encodePayload, type SyncDomain, type SyncEvent } from '../../shared/protocol';
import type { AppliedChanges, Cache } from './cache/api';
import { backoffDelay } from './backoff';
import { Timer, type Clock } from './clock';
import type { Link } from './connection-manager';
import { CoreError } from './errors';
import { big, num, syncPhase } from './wire';
import type { Logger } from './log';

/** The domains in the order the login sync pulls them (the contract's `syncPhases`). */
export const SYNC_ORDER: readonly { domain: SyncDomain; phase: SyncPhase }[] = syncPhases.map((phase) => ({ domain: syncPhase.toWire(phase), phase }));

const ALL_DOMAINS = SYNC_ORDER.map((d) => d.domain);

/** Time budget of one apply slice (ms), and the bounds of its size in events. */
const SLICE_BUDGET_MS = 8;
const MIN_SLICE = 10;
const FIRST_SLICE = 50;
const MAX_SLICE = 1000;
/** Events in the first page of a pull. */
const FIRST_PAGE = 100;

export interface SyncDeps {
  cache: Cache;
  log: Logger;
  pageSize: number;
  clock: Clock;
  /** Back-off of a failed gap pull: the first retry waits between half and all of `initialMs`, doubling up to `maxMs`. */
  retry: { initialMs: number; maxMs: number };
  /** The authenticated link now (undefined while offline): a catch-up pull runs only on the link that saw the gap. */
  link(): Link | undefined;
  changed(changes: AppliedChanges): void;
  progress(phase: SyncPhase, done: number): void;
}

export class SyncEngine implements Disposable {
  private lane: Promise<void> = Promise.resolve();
  /** Every event up to this seq is in the cache (all domains). */
  private contiguous = 0;
  private ready = false;
  private held: { serial: number; seq: number }[] = [];
  /** The highest sequence a push announced while a pull to reach it failed (0: none outstanding). */
  private behind = 0;
  private catchUpAttempts = 0;
  private readonly catchUpTimer: Timer;
  /** Events per apply slice, per domain (costs differ a lot); adapts to the measured cost (see applySliced). */
  private readonly sliceSizes = new Map<SyncDomain, number>();
  private disposed = false;
  /** Counters for logs and the benchmark (no content). */
  readonly stats = { requests: 0, events: 0, waitMs: 0, applyMs: 0, maxSliceMs: 0, maxSliceCpuMs: 0, maxSliceDomain: 0, applyMsByDomain: {} as Record<number, number> };

  constructor(private readonly deps: SyncDeps) {
    this.catchUpTimer = new Timer(deps.clock);
  }

  get cursor(): number {
    return this.contiguous;
  }

  /** Runs the login sync on the lane; resolves when every domain is at the head. */
  loginSync(link: Link, syncHead: number): Promise<void> {
    this.ready = false;
    // The login sync pulls to the head, which covers any gap an earlier link left open.
    this.catchUpTimer.clear();
    this.behind = 0;
    this.catchUpAttempts = 0;
    return this.enqueue(async () => {
      const { cache } = this.deps;
      for (const { domain, phase } of SYNC_ORDER) {
        if (cache.syncState.getCursor(domain) >= syncHead) continue;
        this.deps.progress(phase, 0);
        await this.pull(link, [domain], cache.syncState.getCursor(domain), phase);
      }
      // Domains may have ended at different heads (events arrived during the
      // sync): bring them all to the same point.
      const cursors = ALL_DOMAINS.map((d) => cache.syncState.getCursor(d));
      const low = Math.min(...cursors);
      if (low < Math.max(...cursors, syncHead)) await this.pull(link, [], low, 'members');
      this.contiguous = this.lowestCursor();
      // Pushes that arrived meanwhile: fetch what the sync did not cover, then acknowledge.
      const held = this.held;
      this.held = [];
      if (held.some((h) => h.seq > this.contiguous)) {
        await this.pull(link, [], this.contiguous, 'members');
        this.contiguous = this.lowestCursor();
      }
      for (const h of held) if (h.seq <= this.contiguous) this.ack(link, h.serial, h.seq);
      this.ready = true;
      const r = (n: number) => Math.round(n);
      const { stats } = this;
      this.deps.log.info(
        { requests: stats.requests, events: stats.events, waitMs: r(stats.waitMs), applyMs: r(stats.applyMs), maxSliceMs: r(stats.maxSliceMs), maxSliceCpuMs: r(stats.maxSliceCpuMs), maxSliceDomain: stats.maxSliceDomain, applyMsByDomain: Object.fromEntries(Object.entries(stats.applyMsByDomain).map(([k, v]) => [k, r(v)])) },
        'login sync done',
      );
    });
  }

  /** A PUSH (SyncEvent) from the server. */
  push(link: Link, serial: number, event: SyncEvent): Promise<void> {
    return this.enqueue(async () => {
      const seq = num(event.seq);
      if (!this.ready) {
        // Arrived before the login sync finished: the sync (or its final
        // catch-up) fetches it; it is acknowledged once stored.
        this.held.push({ serial, seq });
        return;
      }
      if (seq === this.contiguous + 1) {
        this.apply([event]);
        this.contiguous = seq;
      } else if (seq > this.contiguous + 1) {
        this.deps.log.info({ from: this.contiguous, seq }, 'sync: gap, pulling');
        await this.catchUp(link, seq);
      }
      if (seq <= this.contiguous) this.ack(link, serial, seq);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.catchUpTimer.dispose();
  }

  /**
   * Pulls everything after `contiguous` (a push announced `seq`). When the
   * pull fails, a retry is scheduled (see the header) and the error rethrown.
   */
  private async catchUp(link: Link, seq: number): Promise<void> {
    this.behind = Math.max(this.behind, seq);
    try {
      await this.pull(link, [], this.contiguous, 'messages');
    } catch (err) {
      this.scheduleCatchUp(link, err);
      throw err;
    } finally {
      // Pages applied before a failure count too.
      this.contiguous = Math.max(this.contiguous, this.lowestCursor());
    }
    if (this.contiguous >= this.behind) {
      this.behind = 0;
      this.catchUpAttempts = 0;
      this.catchUpTimer.clear();
    }
  }

  private scheduleCatchUp(link: Link, err: unknown): void {
    if (this.disposed || this.deps.link() !== link) return;
    const { initialMs, maxMs } = this.deps.retry;
    const hint = err instanceof CoreError ? err.retryAfterMs : 0;
    const wait = Math.max(hint, backoffDelay(this.catchUpAttempts++, initialMs, maxMs));
    this.deps.log.info({ from: this.contiguous, behind: this.behind, waitMs: wait }, 'sync: gap pull failed, retrying');
    this.catchUpTimer.set(wait, () => {
      this.enqueue(async () => {
        // Filled meanwhile (a later push's pull), or the link changed (its login sync covers it).
        if (this.disposed || this.behind === 0 || this.contiguous >= this.behind || this.deps.link() !== link) return;
        await this.catchUp(link, this.behind);
      }).catch((e: unknown) => this.deps.log.warn({ code: e instanceof CoreError ? e.code : undefined }, 'sync: catch-up pull failed'));
    });
  }

  /** Every domain is complete up to here. */
  private lowestCursor(): number {
    return Math.min(...ALL_DOMAINS.map((d) => this.deps.cache.syncState.getCursor(d)));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.lane.then(task);
    this.lane = run.catch(() => undefined);
    return run;
  }

  /**
   * Pages of SYNC for `domains` (empty: all) from `cursor` until the server
   * has no more. The next page is requested as soon as a page arrives, so the
   * server prepares it while this one is being applied.
   */
  private async pull(link: Link, domains: SyncDomain[], cursor: number, phase: SyncPhase): Promise<void> {
    const { cache } = this.deps;
    let done = 0;
    // A small first page: the UI shows something while the big pages come.
    let pending = this.fetch(link, domains, cursor, Math.min(FIRST_PAGE, this.deps.pageSize));
    for (;;) {
      const page = await pending;
      if (this.disposed) return;
      const next = num(page.nextCursor);
      const more = page.hasMore && next > cursor;
      if (more) {
        pending = this.fetch(link, domains, next);
        // Awaited in the next turn; until then a failure must not count as unhandled.
        pending.catch(() => undefined);
      }
      await this.applySliced(page.events);
      if (this.disposed) return;
      done += page.events.length;
      // The page covers every event of these domains up to `next`.
      cache.transaction(() => {
        for (const d of domains.length > 0 ? domains : ALL_DOMAINS) cache.syncState.setCursor(d, next);
      });
      this.deps.progress(phase, done);
      if (!more) return;
      cursor = next;
    }
  }

  private async fetch(link: Link, domains: SyncDomain[], cursor: number, limit = this.deps.pageSize) {
    this.stats.requests += 1;
    const asked = performance.now();
    const page = await link.request(Command.SYNC, { cursor: big(cursor), limit, domains });
    this.stats.waitMs += performance.now() - asked;
    return page;
  }

  /**
   * Applies a page in slices sized to a time budget (each slice is one
   * transaction), yielding to the event loop in between: a backlog never
   * freezes the process for long, whatever the cost per event.
   */
  private async applySliced(events: readonly SyncEvent[]): Promise<void> {
    let i = 0;
    while (i < events.length) {
      if (this.disposed) return;
      const domain = events[i]!.domain;
      const n = Math.max(1, Math.min(this.sliceSizes.get(domain) ?? FIRST_SLICE, events.length - i));
      const started = performance.now();
      this.apply(events.slice(i, i + n));
      const took = performance.now() - started;
      i += n;
      // Aim the next slice at the budget, from this slice's cost per event.
      const perEvent = took / n;
      this.sliceSizes.set(domain, Math.max(MIN_SLICE, Math.min(MAX_SLICE, Math.floor(SLICE_BUDGET_MS / Math.max(perEvent, 0.001)))));
      if (i < events.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private apply(events: readonly SyncEvent[]): void {
    if (events.length === 0) return;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const changes = this.deps.cache.applySyncEvents(events);
    this.deps.changed(changes);
    const took = performance.now() - started;
    const used = process.cpuUsage(cpu);
    // CPU time tells the slice's own cost apart from time the OS gave to other processes.
    this.stats.maxSliceCpuMs = Math.max(this.stats.maxSliceCpuMs, (used.user + used.system) / 1000);
    this.stats.events += events.length;
    this.stats.applyMs += took;
    const domain = events[0]!.domain;
    this.stats.applyMsByDomain[domain] = (this.stats.applyMsByDomain[domain] ?? 0) + took;
    if (took > this.stats.maxSliceMs) {
      this.stats.maxSliceMs = took;
      this.stats.maxSliceDomain = events[0]!.domain;
    }
  }

  private ack(link: Link, serial: number, seq: number): void {
    link.send({ serial, command: Command.PUSH_ACK, code: 0, payload: encodePayload(PushAckSchema, { seq: big(seq) }) });
  }
}
