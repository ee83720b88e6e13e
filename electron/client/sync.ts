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
 * - Big pages are applied in slices with a yield to the event loop between
 *   them, so the process never stalls for long during a backlog.
 *
 * All work runs on one lane (a promise chain): a push that arrives during a
 * pull waits for it, so events are applied in sequence order.
 */
import type { SyncPhase } from '../../shared/ipc';
import { Command, PushAckSchema, SyncDomain, encodePayload, type SyncEvent } from '../../shared/protocol';
import type { AppliedChanges, Cache } from './cache/api';
import type { Link } from './connection-manager';
import { big, num } from './ids';
import type { Logger } from './log';

export const SYNC_ORDER: readonly { domain: SyncDomain; phase: SyncPhase }[] = [
  { domain: SyncDomain.MESSAGES, phase: 'messages' },
  { domain: SyncDomain.FRIENDS, phase: 'friends' },
  { domain: SyncDomain.PROFILES, phase: 'profiles' },
  { domain: SyncDomain.GROUPS, phase: 'groups' },
  { domain: SyncDomain.MEMBERS, phase: 'members' },
];

const ALL_DOMAINS = SYNC_ORDER.map((d) => d.domain);

export interface SyncDeps {
  cache: Cache;
  log: Logger;
  pageSize: number;
  /** Events applied per transaction before yielding to the event loop. */
  sliceSize?: number;
  changed(changes: AppliedChanges): void;
  progress(phase: SyncPhase, done: number): void;
}

export class SyncEngine {
  private lane: Promise<void> = Promise.resolve();
  /** Every event up to this seq is in the cache (all domains). */
  private contiguous = 0;
  private ready = false;
  private held: { serial: number; seq: number }[] = [];
  private disposed = false;
  /** Requests sent by the sync engine (for tests and benchmarks). */
  requests = 0;

  constructor(private readonly deps: SyncDeps) {}

  get cursor(): number {
    return this.contiguous;
  }

  /** Runs the login sync on the lane; resolves when every domain is at the head. */
  loginSync(link: Link, syncHead: number): Promise<void> {
    this.ready = false;
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
      this.contiguous = Math.min(...ALL_DOMAINS.map((d) => cache.syncState.getCursor(d)));
      // Pushes that arrived meanwhile: fetch what the sync did not cover, then acknowledge.
      const held = this.held;
      this.held = [];
      if (held.some((h) => h.seq > this.contiguous)) {
        await this.pull(link, [], this.contiguous, 'members');
        this.contiguous = Math.min(...ALL_DOMAINS.map((d) => cache.syncState.getCursor(d)));
      }
      for (const h of held) if (h.seq <= this.contiguous) this.ack(link, h.serial, h.seq);
      this.ready = true;
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
        await this.pull(link, [], this.contiguous, 'messages');
        this.contiguous = Math.max(this.contiguous, Math.min(...ALL_DOMAINS.map((d) => this.deps.cache.syncState.getCursor(d))));
      }
      if (seq <= this.contiguous) this.ack(link, serial, seq);
    });
  }

  /** Pull everything after `contiguous` (e.g. pushes that arrived during the login sync). */
  catchUp(link: Link): Promise<void> {
    return this.enqueue(async () => {
      if (!this.ready) return;
      await this.pull(link, [], this.contiguous, 'messages');
      this.contiguous = Math.min(...ALL_DOMAINS.map((d) => this.deps.cache.syncState.getCursor(d)));
    });
  }

  dispose(): void {
    this.disposed = true;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.lane.then(task);
    this.lane = run.catch(() => undefined);
    return run;
  }

  /** Pages of SYNC for `domains` (empty: all) from `cursor` until the server has no more. */
  private async pull(link: Link, domains: SyncDomain[], cursor: number, phase: SyncPhase): Promise<void> {
    const { cache } = this.deps;
    let done = 0;
    for (;;) {
      if (this.disposed) return;
      this.requests += 1;
      const page = await link.request(Command.SYNC, { cursor: big(cursor), limit: this.deps.pageSize, domains });
      if (this.disposed) return;
      await this.applySliced(page.events);
      done += page.events.length;
      const next = num(page.nextCursor);
      // The page covers every event of these domains up to `next`.
      cache.transaction(() => {
        for (const d of domains.length > 0 ? domains : ALL_DOMAINS) cache.syncState.setCursor(d, next);
      });
      this.deps.progress(phase, done);
      if (!page.hasMore || next <= cursor) return;
      cursor = next;
    }
  }

  private async applySliced(events: readonly SyncEvent[]): Promise<void> {
    const size = this.deps.sliceSize ?? 200;
    for (let i = 0; i < events.length; i += size) {
      if (this.disposed) return;
      this.apply(events.slice(i, i + size));
      if (i + size < events.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private apply(events: readonly SyncEvent[]): void {
    if (events.length === 0) return;
    const changes = this.deps.cache.applySyncEvents(events);
    this.deps.changed(changes);
  }

  private ack(link: Link, serial: number, seq: number): void {
    link.send({ serial, command: Command.PUSH_ACK, code: 0, payload: encodePayload(PushAckSchema, { seq: big(seq) }) });
  }
}
