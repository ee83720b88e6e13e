/** The hand-written encoders (SyncEvent(Message), SendMessageAck) write exactly what protobuf-es writes. */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageSchema, SendMessageAckSchema, SyncDomain, SyncEventSchema } from '../../shared/protocol';
import { encodeSendMessageAck, encodeTextMessageEvent } from '../../server/operations/message-encoding';
import { renderMessage } from '../../server/operations/render';
import { ConversationKind, type ConversationRow, type MessageRow } from '../../server/storage/store';

/** What protobuf-es writes: the reference. */
function reference(seq: number, domain: SyncDomain, row: MessageRow, conv: ConversationRow, viewer: number): Uint8Array {
  return toBinary(SyncEventSchema, create(SyncEventSchema, { seq: BigInt(seq), domain, event: { case: 'message', value: renderMessage(row, conv, viewer) } }));
}

// Small values, values around the varint length steps, and the largest safe integer.
const id = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 300 }),
  fc.constantFrom(127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 35 - 1, 2 ** 35),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const text = fc.oneof(fc.constant(''), fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('敏捷的棕色狐狸', '👍🏽 ok', 'x'.repeat(200), 'é\u0301'));

const rowArb = fc.record({
  id,
  conv_id: id,
  conv_seq: id,
  sender_id: id,
  client_msg_id: text,
  sent_at: id,
  text,
  mentions: fc.array(fc.oneof(fc.constant(0), id), { maxLength: 5 }).map((m) => m.join(',')),
  reply_to: id,
  sender_seq: id,
  recalled_by: fc.oneof(fc.constant(0), id),
  edited_at: fc.option(id, { nil: undefined }),
  attachments: fc.constant(null),
}) satisfies fc.Arbitrary<MessageRow>;

const convArb = fc.oneof(
  fc.record({ kind: fc.constant(ConversationKind.DIRECT), user_lo: id, user_hi: id }),
  fc.record({ kind: fc.constant(ConversationKind.GROUP), group_id: fc.option(id, { nil: null }) }),
);

describe('encodeTextMessageEvent', () => {
  it('is byte-identical to protobuf-es for any text message, viewer and sequence', () => {
    fc.assert(
      fc.property(rowArb, convArb, id, fc.constantFrom(SyncDomain.MESSAGES, 0 as SyncDomain, 7 as SyncDomain), fc.boolean(), (row, c, seq, domain, viewerIsLo) => {
        const conv = { id: row.conv_id, ...c } as unknown as ConversationRow;
        const viewer = viewerIsLo ? (conv.user_lo ?? 1) : (conv.user_hi ?? 2);
        const ours = encodeTextMessageEvent(seq, domain, row, conv, viewer);
        expect(ours).toBeDefined();
        expect(Buffer.from(ours!).toString('hex')).toBe(Buffer.from(reference(seq, domain, row, conv, viewer)).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });

  it('an everyday message decodes back to what was stored', () => {
    const row: MessageRow = { id: 912_345, conv_id: 4, conv_seq: 77, sender_id: 10, client_msg_id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', sent_at: 1_764_650_000_123, text: 'hello 你好', mentions: '0,11', reply_to: 5, sender_seq: 3, recalled_by: 0, edited_at: 1_764_650_000_999, attachments: null };
    const conv = { id: 4, kind: ConversationKind.DIRECT, user_lo: 10, user_hi: 11 } as unknown as ConversationRow;
    const event = fromBinary(SyncEventSchema, encodeTextMessageEvent(42, SyncDomain.MESSAGES, row, conv, 11)!);
    expect(event.seq).toBe(42n);
    expect(event.event.case).toBe('message');
    const m = event.event.value as ReturnType<typeof renderMessage>;
    expect(m.conversation?.id).toBe(10n); // the viewer sees the sender as the peer
    expect(m.text).toBe('hello 你好');
    expect(m.sentAt).toBe(1_764_650_000_123n);
    expect(m.mentions.map((x) => x.userId)).toEqual([0n, 11n]);
    expect(m.editedAt).toBe(1_764_650_000_999n);
  });

  it('leaves a message with structured parts to protobuf-es', () => {
    const parts = toBinary(MessageSchema, create(MessageSchema, { attachments: [{ name: 'a.png' }] }));
    const row = { id: 1, conv_id: 1, conv_seq: 1, sender_id: 1, client_msg_id: 'c', sent_at: 1, text: '', mentions: '', reply_to: 0, sender_seq: 1, recalled_by: 0, attachments: parts } as MessageRow;
    expect(encodeTextMessageEvent(1, SyncDomain.MESSAGES, row, { id: 1, kind: ConversationKind.DIRECT, user_lo: 1, user_hi: 2 } as unknown as ConversationRow, 2)).toBeUndefined();
  });
});

describe('encodeSendMessageAck', () => {
  it('is byte-identical to protobuf-es for any ack', () => {
    fc.assert(
      fc.property(id, id, id, id, fc.boolean(), (msgId, convSeq, sentAt, userSeq, duplicate) => {
        const ack = { msgId: BigInt(msgId), convSeq: BigInt(convSeq), sentAt: BigInt(sentAt), userSeq: BigInt(userSeq), duplicate };
        const reference = toBinary(SendMessageAckSchema, create(SendMessageAckSchema, ack));
        expect(Buffer.from(encodeSendMessageAck(ack)).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });
});
