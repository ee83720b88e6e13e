// The binary lane between the event loop and the SQLite worker (server/storage/worker-channel.ts): hot jobs and their
// results cross a real MessagePort as one transferred buffer and come back equal; other jobs keep their place.
import { create, toBinary } from '@bufbuild/protobuf';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ConversationType, encodePayload, ENCODED_PAYLOAD, SendMessageAckSchema } from '../../shared/protocol';
import type { SendArgs } from '../../server/operations/messages';
import { ByteReader, ByteWriter, hotCodecOf, readResult, STRUCTURED, writeJob, writeResult } from '../../server/storage/worker-channel';

const sendArgs = (text: string, extra: Partial<SendArgs> = {}): SendArgs => ({
  caller: { userId: 2 ** 40 + 3, sessionId: 77 },
  to: { type: ConversationType.GROUP, id: 12 },
  clientMsgId: '0192f5e6-7a1b-7c3d-8e9f-0a1b2c3d4e5f',
  text,
  replyTo: 9,
  mentions: [0, 5, Number.MAX_SAFE_INTEGER],
  attachments: null,
  digests: [],
  ...extra,
});

async function transfer(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<Uint8Array>((resolve) => port2.once('message', resolve));
  port1.postMessage(bytes, [bytes.buffer]);
  expect(bytes.byteLength).toBe(0); // moved, not copied
  const got = await received;
  port1.close();
  return got;
}

describe('worker channel', () => {
  it('carries sends and PUSH_ACKs in binary, in submission order with the structured jobs between them', async () => {
    const w = new ByteWriter(16); // starts small: grows as it goes
    const order: Array<string | number> = [];
    const submit = (name: string, id: number, args: unknown) => {
      if (writeJob(w, name, id, 1_700_000_000_123, args)) order.push(id);
      else {
        w.u8(STRUCTURED);
        order.push(`structured ${id}`);
      }
    };
    submit('messages.send', 1, sendArgs('hello 你好 👋🏽'));
    submit('messages.recall', 2, { msgId: 1 });
    submit('messages.send', 3, sendArgs('', { mentions: [] }));
    submit('messages.send', 4, sendArgs('with a file', { attachments: Uint8Array.of(1), digests: ['d'] })); // not carried: bytes and digests
    submit('messages.recordPushAcks', 5, [{ userId: 1, seq: 2 ** 33 }, { userId: 3, seq: 4 }]);
    expect(order).toEqual([1, 'structured 2', 3, 'structured 4', 5]);
    const r = new ByteReader(await transfer(w.take()));
    const seen: unknown[] = [];
    while (!r.done) {
      const tag = r.u8();
      if (tag === STRUCTURED) {
        seen.push('structured');
        continue;
      }
      const codec = hotCodecOf(tag);
      seen.push({ name: codec.name, id: r.f64(), now: r.f64(), args: codec.readArgs(r) });
    }
    expect(seen).toEqual([
      { name: 'messages.send', id: 1, now: 1_700_000_000_123, args: sendArgs('hello 你好 👋🏽') },
      'structured',
      { name: 'messages.send', id: 3, now: 1_700_000_000_123, args: sendArgs('', { mentions: [] }) },
      'structured',
      { name: 'messages.recordPushAcks', id: 5, now: 1_700_000_000_123, args: [{ userId: 1, seq: 2 ** 33 }, { userId: 3, seq: 4 }] },
    ]);
  });

  it('carries results with their pushes as views of one buffer; a send ack comes with the bytes protobuf-es would write', async () => {
    const w = new ByteWriter(8);
    const ack = { msgId: 2n ** 50n, convSeq: 128n, sentAt: 1_700_000_000_000n, userSeq: 0n, duplicate: true };
    const pushes = [
      { userId: 1, seq: 10, payload: Uint8Array.of(1, 2, 3), skipSession: 4 },
      { userId: 2, seq: 2 ** 40, payload: new Uint8Array(0) },
    ];
    writeResult(w, hotCodecOf(1), 41, { value: ack, pushes });
    w.u8(STRUCTURED);
    writeResult(w, hotCodecOf(2), 42, { value: undefined, pushes: [] });
    const r = new ByteReader(await transfer(w.take()));
    expect([r.u8(), r.f64()]).toEqual([1, 41]);
    const send = readResult(r, hotCodecOf(1));
    expect(send).toEqual({ value: ack, pushes });
    const encoded = (send.value as { [ENCODED_PAYLOAD]: Uint8Array })[ENCODED_PAYLOAD];
    const reference = toBinary(SendMessageAckSchema, create(SendMessageAckSchema, ack));
    expect(Buffer.from(encoded).equals(reference)).toBe(true);
    // The answer reuses those bytes: encodePayload does not encode again.
    expect(encodePayload(SendMessageAckSchema, send.value as typeof ack)).toBe(encoded);
    expect(send.pushes[0]!.payload.buffer).toBe(r.bytes.buffer); // a view, no copy
    expect(r.u8()).toBe(STRUCTURED);
    expect([r.u8(), r.f64()]).toEqual([2, 42]);
    expect(readResult(r, hotCodecOf(2))).toEqual({ value: undefined, pushes: [] });
    expect(r.done).toBe(true);
  });

  it('refuses a stream entry it does not know', () => {
    expect(() => hotCodecOf(99)).toThrow(/unknown hot operation code 99/);
  });
});
