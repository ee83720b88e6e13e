import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../../shared/ipc';
import { freshCache, wireMessage } from './fixtures';

type Op = { kind: 'incoming'; seq: number } | { kind: 'outgoing' } | { kind: 'ack'; which: number; seq: number };

describe('paging (property)', () => {
  it('walking back page by page from the latest returns every message once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('incoming' as const), seq: fc.integer({ min: 1, max: 60 }) }),
            fc.record({ kind: fc.constant('outgoing' as const) }),
            fc.record({ kind: fc.constant('ack' as const), which: fc.nat(20), seq: fc.integer({ min: 61, max: 120 }) }),
          ),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (ops: Op[], limit) => {
          const c = freshCache();
          try {
            const pending: string[] = [];
            const usedSeqs = new Set<number>();
            let n = 0;
            for (const op of ops) {
              if (op.kind === 'incoming') {
                if (usedSeqs.has(op.seq)) continue;
                usedSeqs.add(op.seq);
                c.cache.messages.applyServerMessage(wireMessage('u:2', op.seq, { msgId: 10_000 + op.seq }));
              } else if (op.kind === 'outgoing') {
                const id = `o${n++}`;
                c.cache.messages.insertOutgoing({ id, key: 'u:2', text: id, createdAt: n });
                pending.push(id);
              } else if (pending.length > 0 && !usedSeqs.has(op.seq)) {
                usedSeqs.add(op.seq);
                const [id] = pending.splice(op.which % pending.length, 1);
                c.cache.messages.markAcked(id!, { msgId: 20_000 + op.seq, convSeq: op.seq, sentAt: 1 });
              }
            }
            // Expected: acked by conv seq, then pending in creation order.
            const all = c.cache.messages.page('u:2', { limit: 1000 }).messages;
            const acked = all.filter((m) => m.convSeq !== undefined).map((m) => m.convSeq!);
            expect(acked).toEqual([...usedSeqs].sort((a, b) => a - b));
            expect(all.slice(acked.length).map((m) => m.id)).toEqual(pending);

            const walked: MessageView[] = [];
            let page = c.cache.messages.page('u:2', { limit });
            walked.unshift(...page.messages);
            while (page.hasMoreBefore) {
              page = c.cache.messages.page('u:2', { limit, anchor: { messageId: page.messages[0]!.id, direction: 'before' } });
              walked.unshift(...page.messages);
            }
            expect(walked.map((m) => m.id)).toEqual(all.map((m) => m.id));
            // And forward again from the oldest.
            if (all.length > 0) {
              const fwd: MessageView[] = [all[0]!];
              let p = { hasMoreAfter: true, messages: [all[0]!] };
              while (p.hasMoreAfter) {
                p = c.cache.messages.page('u:2', { limit, anchor: { messageId: p.messages[p.messages.length - 1]!.id, direction: 'after' } });
                fwd.push(...p.messages);
              }
              expect(fwd.map((m) => m.id)).toEqual(all.map((m) => m.id));
              // Around any message contains it and is contiguous.
              const target = all[Math.floor(all.length / 2)]!;
              const around = c.cache.messages.page('u:2', { limit, anchor: { messageId: target.id, direction: 'around' } }).messages.map((m) => m.id);
              const start = all.findIndex((m) => m.id === around[0]);
              expect(around).toContain(target.id);
              expect(around).toEqual(all.slice(start, start + around.length).map((m) => m.id));
              expect(around.length).toBe(Math.min(limit, all.length));
            }
          } finally {
            c.done();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
