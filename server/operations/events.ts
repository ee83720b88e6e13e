/**
 * Sync events written by one operation, and the pushes they become.
 *
 * An operation appends events as it goes; they are buffered. `allocate()`
 * takes every user's next sequences in one call, users in ascending id order
 * (PostgreSQL locks the counters in that one global order, so two operations
 * touching the same users cannot deadlock), and `flush()` (run when the
 * operation returns, inside its transaction) inserts the rows and returns the
 * pushes, already encoded. The caller delivers them only after the commit is
 * durable; a rolled-back operation's pushes are never seen.
 *
 * A message event stores a reference to the message (written once, however
 * many members a group has); every other event stores its SyncEvent.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { SyncEventSchema, type Message, type SyncDomain, type SyncEvent } from '../../shared/protocol';
import type { EventRow, Tx } from '../storage/store';
import { big } from '../services/validate';
import { renderMessage } from './render';

export type EventBody = Exclude<SyncEvent['event'], { case: 'message' } | { case: undefined }>;

/** A push for the online devices of `userId`: the encoded SyncEvent with its sequence. */
export interface PendingPush {
  userId: number;
  seq: number;
  payload: Uint8Array;
  /** Session that must not get this push (the sender's device already has the ack). */
  skipSession?: number;
}

/** A message whose id is known by the time the events are flushed. */
export interface MessageHandle {
  id: number;
  render(viewerId: number): Message;
  /** The whole SyncEvent, encoded without rendering (message-encoding.ts); undefined: render it. */
  encodeEvent?(seq: number, domain: SyncDomain, viewerId: number): Uint8Array | undefined;
}

/** One buffered event; `seq` is set by `allocate()`. */
export interface AppendedEvent {
  readonly userId: number;
  readonly domain: SyncDomain;
  seq: number;
  /** The SyncEvent without seq (non-message events). */
  readonly body?: Uint8Array;
  readonly message?: MessageHandle;
  readonly skipSession?: number;
}

export class EventWriter {
  private readonly appended: AppendedEvent[] = [];
  /** Pushes of events stored earlier, sent again (see `repush`). */
  private readonly again: PendingPush[] = [];

  constructor(private readonly tx: Tx) {}

  /** Appends a snapshot event (anything but a message) for one user. */
  append(userId: number, domain: SyncDomain, body: EventBody): void {
    this.appended.push({ userId, domain, seq: 0, body: toBinary(SyncEventSchema, create(SyncEventSchema, { domain, event: body })) });
  }

  appendToMany(userIds: Iterable<number>, domain: SyncDomain, body: EventBody | ((userId: number) => EventBody)): void {
    for (const userId of userIds) this.append(userId, domain, typeof body === 'function' ? body(userId) : body);
  }

  /** Appends a message event: stored as a reference to `message.id`, pushed rendered for each viewer. */
  appendMessage(userId: number, domain: SyncDomain, message: MessageHandle, skipSession?: number): AppendedEvent {
    const event: AppendedEvent = { userId, domain, seq: 0, message, skipSession };
    this.appended.push(event);
    return event;
  }

  /** Pushes an event already stored (with its own sequence) once more; nothing is written. */
  repush(push: PendingPush): void {
    this.again.push(push);
  }

  /** Gives every appended event without a sequence its sequence. */
  async allocate(): Promise<void> {
    const pending = this.appended.filter((e) => e.seq === 0);
    if (pending.length === 0) return;
    // Users ascending with their counts, from the events sorted by user (a stable sort: a user's events keep their order).
    // Arrays, not Maps: an operation appends a few events (a 1:1 send two), and this runs on every one.
    pending.sort((a, b) => a.userId - b.userId);
    const users: Array<[userId: number, count: number]> = [];
    for (const e of pending) {
      const last = users[users.length - 1];
      if (last && last[0] === e.userId) last[1]++;
      else users.push([e.userId, 1]);
    }
    const firsts = await this.tx.sequences.allocate(users);
    let u = -1;
    let next = 0;
    for (const e of pending) {
      if (u < 0 || users[u]![0] !== e.userId) next = firsts[++u]!;
      e.seq = next++;
    }
  }

  /** Stores the events; returns their pushes. Called once, when the operation has returned. */
  async flush(): Promise<PendingPush[]> {
    if (this.appended.length === 0) return this.again;
    await this.allocate();
    const rows: EventRow[] = this.appended.map((e) => ({ user_id: e.userId, seq: e.seq, domain: e.domain, ref: e.message?.id ?? 0, body: e.body ?? null }));
    await this.tx.events.insert(rows);
    const pushes: PendingPush[] = this.appended.map((e) => ({
      userId: e.userId,
      seq: e.seq,
      skipSession: e.skipSession,
      payload: e.body ? withSeq(e.seq, e.body) : messageEvent(e.seq, e.domain, e.message!, e.userId),
    }));
    return this.again.length === 0 ? pushes : [...this.again, ...pushes];
  }
}

function messageEvent(seq: number, domain: SyncDomain, message: MessageHandle, viewerId: number): Uint8Array {
  return (
    message.encodeEvent?.(seq, domain, viewerId) ??
    toBinary(SyncEventSchema, create(SyncEventSchema, { seq: big(seq), domain, event: { case: 'message', value: message.render(viewerId) } }))
  );
}

/**
 * The encoding of a stored SyncEvent with its `seq` (field 1) put back: the
 * stored body starts at field 2, so the varint field in front gives the
 * exact bytes protobuf-es would produce for the whole event.
 */
export function withSeq(seq: number, body: Uint8Array): Uint8Array {
  const head: number[] = [0x08];
  let v = seq;
  while (v >= 0x80) {
    head.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  head.push(v);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Rebuilds the SyncEvent of a stored row for its user (undefined if its message is gone). */
export async function loadEvent(tx: Tx, row: EventRow): Promise<SyncEvent | undefined> {
  if (row.body) {
    const event = fromBinary(SyncEventSchema, row.body);
    event.seq = big(row.seq);
    return event;
  }
  const message = await tx.messages.byId(row.ref);
  const conv = message && (await tx.conversations.byId(message.conv_id));
  if (!message || !conv) return undefined;
  return create(SyncEventSchema, { seq: big(row.seq), domain: row.domain as SyncDomain, event: { case: 'message', value: renderMessage(message, conv, row.user_id) } });
}
