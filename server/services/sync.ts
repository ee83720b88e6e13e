/**
 * SYNC: the user's events after a cursor, in pages bounded by count and by
 * frame size. Pulling message events also records them as delivered.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { SyncDomain, SyncEventSchema, SyncResponseSchema, type SyncEvent, type SyncRequest, type SyncResponse } from '../../shared/protocol';
import type { Caller, ServiceDeps } from './deps';
import { invalid } from './errors';
import { big, toNumber } from './validate';
import type { MessageService } from './messages';

const validDomains = new Set<number>([SyncDomain.MESSAGES, SyncDomain.FRIENDS, SyncDomain.PROFILES, SyncDomain.GROUPS, SyncDomain.MEMBERS]);

export class SyncService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly messages: MessageService,
  ) {}

  sync(caller: Caller, req: SyncRequest): SyncResponse {
    const { store, events, config } = this.deps;
    const limit = req.limit === 0 ? config.syncDefaultLimit : Math.min(req.limit, config.syncMaxLimit);
    const domains = [...new Set(req.domains)];
    for (const d of domains) if (!validDomains.has(d)) throw invalid('domains', `unknown domain ${d}`);
    const head = store.users.seqHead(caller.userId);
    const cursor = toNumber('cursor', req.cursor);
    if (cursor > head) throw invalid('cursor', 'cursor is ahead of the server: sync from 0');
    const rows = store.events.list(caller.userId, cursor, limit + 1, domains);
    // Stay well inside one frame: the budget leaves room for the header and the envelope.
    let budget = config.maxFrameSize - 1024;
    const out: SyncEvent[] = [];
    const delivered = new Map<number, { convSeq: number; senderId: number }>();
    for (const row of rows.slice(0, limit)) {
      const event = events.load(row);
      if (!event) continue;
      const size = toBinary(SyncEventSchema, event).length + 8;
      if (size > budget && out.length > 0) break;
      budget -= size;
      out.push(event);
      if (event.event.case === 'message') {
        const msg = store.messages.byId(row.ref)!;
        if (msg.sender_id !== caller.userId) {
          const best = delivered.get(msg.conv_id);
          if (!best || best.convSeq < msg.conv_seq) delivered.set(msg.conv_id, { convSeq: msg.conv_seq, senderId: msg.sender_id });
        }
      }
    }
    const lastSeq = out.length > 0 ? Number(out[out.length - 1]!.seq) : cursor;
    const hasMore = rows.length > out.length;
    if (delivered.size > 0) {
      // 1:1 deliveries only matter per conversation: the latest message from the peer.
      void this.messages
        .runDeliveries(() => {
          for (const [convId, d] of delivered) this.messages.delivered(caller.userId, convId, d.convSeq, d.senderId);
        })
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'delivery receipts after sync failed'));
    }
    return create(SyncResponseSchema, { events: out, nextCursor: big(hasMore ? lastSeq : Math.max(lastSeq, head)), hasMore, head: big(head) });
  }
}
