/**
 * SYNC: the user's events after a cursor, in pages bounded by count and by
 * frame size, and the messages it hands over (the caller records them as
 * delivered).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { SyncEventSchema, SyncResponseSchema, type SyncEvent, type SyncResponse } from '../../shared/protocol';
import { invalid } from '../services/errors';
import { big } from '../services/validate';
import { loadEvent } from './events';
import { readOperation } from './operation';

export interface SyncArgs {
  userId: number;
  cursor: number;
  limit: number;
  domains: number[];
  /** Bytes the events may take in the answer (the frame limit minus room for the envelope). */
  budget: number;
}

export interface SyncPage {
  response: SyncResponse;
  /** Per 1:1 or group conversation, the latest message from someone else in this page. */
  deliveries: Array<{ convId: number; convSeq: number; senderId: number }>;
}

export const syncEvents = readOperation('sync.events', async ({ tx }, a: SyncArgs): Promise<SyncPage> => {
  // The head first: every event up to it is committed (sequences commit in order), so the page below covers it.
  const head = await tx.sequences.head(a.userId);
  if (a.cursor > head) throw invalid('cursor', 'cursor is ahead of the server: sync from 0');
  const rows = await tx.events.list(a.userId, a.cursor, a.limit + 1, a.domains);
  let budget = a.budget;
  const out: SyncEvent[] = [];
  const delivered = new Map<number, { convSeq: number; senderId: number }>();
  for (const row of rows.slice(0, a.limit)) {
    const event = await loadEvent(tx, row);
    if (!event) continue;
    const size = toBinary(SyncEventSchema, event).length + 8;
    if (size > budget && out.length > 0) break;
    budget -= size;
    out.push(event);
    if (event.event.case === 'message') {
      const msg = event.event.value;
      const senderId = Number(msg.senderId);
      const convId = (await tx.messages.byId(row.ref))!.conv_id;
      if (senderId !== a.userId) {
        const best = delivered.get(convId);
        if (!best || best.convSeq < Number(msg.convSeq)) delivered.set(convId, { convSeq: Number(msg.convSeq), senderId });
      }
    }
  }
  const lastSeq = out.length > 0 ? Number(out[out.length - 1]!.seq) : a.cursor;
  const hasMore = rows.length > out.length;
  return {
    response: create(SyncResponseSchema, { events: out, nextCursor: big(hasMore ? lastSeq : Math.max(lastSeq, head)), hasMore, head: big(head) }),
    deliveries: [...delivered].map(([convId, d]) => ({ convId, ...d })),
  };
});
