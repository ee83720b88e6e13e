/** PUSH_ACKs reach the store once per turn, only those naming an event (a positive seq below 2^53). */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { recordPushAcks } from '../../server/operations/messages';
import type { ServiceDeps } from '../../server/services/deps';
import { MessageService } from '../../server/services/messages';

describe('MessageService.pushAcked', () => {
  it('coalesces one turn of acks into one write, leaving out 0 and inexact values', async () => {
    const writes: Array<{ op: unknown; args: unknown }> = [];
    const run = { write: (op: unknown, args: unknown) => (writes.push({ op, args }), Promise.resolve()) };
    const messages = new MessageService({ run, logger: pino({ level: 'silent' }) } as unknown as ServiceDeps);
    for (const seq of [5, 0, -1, 2 ** 53, 2 ** 63, 1.5, Number.MAX_SAFE_INTEGER]) messages.pushAcked(7, seq);
    messages.pushAcked(8, 1);
    expect(writes).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([
      {
        op: recordPushAcks,
        args: [
          { userId: 7, seq: 5 },
          { userId: 7, seq: Number.MAX_SAFE_INTEGER },
          { userId: 8, seq: 1 },
        ],
      },
    ]);
  });
});
