/**
 * Writes sync events and pushes them once committed.
 *
 * `commit(fn)` runs `fn` in one transaction; every `append*` inside it
 * allocates the user's next sequence in that same transaction (so sequence
 * order is commit order) and queues a push. Pushes go out only after the
 * commit succeeded; on rollback they are dropped.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { SyncEventSchema, type SyncDomain, type SyncEvent } from '../../shared/protocol';
import type { Store, EventRow } from '../storage/store';
import type { Notifier, PendingPush } from './notifier';
import { renderMessage } from './render';
import { big } from './validate';

export type EventBody = Exclude<SyncEvent['event'], { case: 'message' } | { case: undefined }>;

export class EventLog {
  private pending: PendingPush[] | undefined;

  /**
   * `deferPush` holds pushes until the commit is durable (the server passes
   * Durability.afterDurable); the default pushes at once.
   */
  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly deferPush: (fn: () => void) => void = (fn) => fn(),
  ) {}

  commit<T>(fn: () => T): T {
    if (this.pending) {
      // Nested: a savepoint. The outer commit pushes; a rolled-back savepoint drops its pushes.
      const mark = this.pending.length;
      try {
        return this.store.transaction(fn);
      } catch (err) {
        this.pending.length = mark;
        throw err;
      }
    }
    this.pending = [];
    let pushes: PendingPush[];
    let result: T;
    try {
      result = this.store.transaction(fn);
      pushes = this.pending;
    } finally {
      this.pending = undefined;
    }
    if (pushes.length > 0) this.deferPush(() => this.notifier.pushEvents(pushes));
    return result;
  }

  /** Appends a snapshot event (anything but a message) for one user. */
  append(userId: number, domain: SyncDomain, body: EventBody): number {
    const event = create(SyncEventSchema, { domain, event: body });
    const seq = this.store.events.append(userId, domain, 0, toBinary(SyncEventSchema, event));
    event.seq = big(seq);
    this.queue({ userId, event });
    return seq;
  }

  appendToMany(userIds: Iterable<number>, domain: SyncDomain, body: EventBody | ((userId: number) => EventBody)): void {
    for (const userId of userIds) this.append(userId, domain, typeof body === 'function' ? body(userId) : body);
  }

  /** Appends a message event: stored as a reference, pushed rendered. `knownSeq`: see EventsRepository.append. */
  appendMessage(userId: number, domain: SyncDomain, msgId: number, render: () => SyncEvent['event'], skipSession?: number, knownSeq?: number): number {
    const seq = this.store.events.append(userId, domain, msgId, null, knownSeq);
    this.queue({ userId, event: create(SyncEventSchema, { seq: big(seq), domain, event: render() }), skipSession });
    return seq;
  }

  /** Rebuilds the SyncEvent of a stored row for its user. */
  load(row: EventRow): SyncEvent | undefined {
    if (row.body) {
      const event = fromBinary(SyncEventSchema, row.body);
      event.seq = big(row.seq);
      return event;
    }
    const message = this.store.messages.byId(row.ref);
    const conv = message && this.store.conversations.byId(message.conv_id);
    if (!message || !conv) return undefined;
    return create(SyncEventSchema, { seq: big(row.seq), domain: row.domain as SyncDomain, event: { case: 'message', value: renderMessage(message, conv, row.user_id) } });
  }

  private queue(push: PendingPush): void {
    if (!this.pending) throw new Error('EventLog.append outside commit()');
    this.pending.push(push);
  }
}
