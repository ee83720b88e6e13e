// The dispatcher with an in-memory connection: one answer per request, INTERNAL for a handler exception (the process and
// the connection survive), SHUTTING_DOWN once stopping.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Command, ErrorDetailSchema, PingSchema, PongSchema, ResultCode, type Frame } from '../../shared/protocol';
import { Metrics } from '../../server/metrics';
import { Dispatcher } from '../../server/net/dispatcher';
import type { HandlerTable } from '../../server/net/handlers';
import { Session } from '../../server/net/session';
import type { MessageService } from '../../server/services/messages';
import { MemoryConnection } from './helpers/memory-connection';

function setup(handlers: Partial<HandlerTable>, maxInFlight = 1024) {
  const metrics = new Metrics();
  const dispatcher = new Dispatcher(handlers as HandlerTable, {} as MessageService, { now: () => 42 }, metrics, pino({ level: 'silent' }), maxInFlight);
  const conn = new MemoryConnection();
  const session = new Session(1, conn, 0);
  return { dispatcher, conn, session, metrics };
}

const ping = (serial: number): Frame => ({ serial, command: Command.PING, code: 0, payload: toBinary(PingSchema, create(PingSchema, { sentAt: 7n })) });

describe('dispatcher', () => {
  it('answers a PING with a PONG of the same serial, and records activity', () => {
    const { dispatcher, conn, session } = setup({ [Command.PING]: (_s, req) => ({ sentAt: req.sentAt, serverTime: 1n }) });
    dispatcher.handle(session, ping(5));
    expect(conn.sent).toHaveLength(1);
    expect(conn.sent[0]).toMatchObject({ serial: 5, command: Command.PONG, code: ResultCode.OK });
    expect(fromBinary(PongSchema, conn.sent[0]!.payload).sentAt).toBe(7n);
    expect(session.lastActivity).toBe(42);
  });

  it('turns a throwing or rejecting handler into INTERNAL without closing', async () => {
    const { dispatcher, conn, session, metrics } = setup({
      [Command.PING]: () => {
        throw new Error('boom');
      },
    });
    dispatcher.handle(session, ping(1));
    expect(conn.sent[0]!.code).toBe(ResultCode.INTERNAL);
    expect(fromBinary(ErrorDetailSchema, conn.sent[0]!.payload).message).toBe('internal error'); // no internals leak
    expect(conn.closed).toBe(false);
    expect(await metrics.value('tern_errors_total', { code: 'INTERNAL' })).toBe(1);
    expect(await metrics.value('tern_errors_total', { code: 'NOT_FOUND' })).toBe(0);

    const second = setup({ [Command.PING]: () => Promise.reject(new Error('later')) });
    second.dispatcher.handle(second.session, ping(2));
    await new Promise((r) => setImmediate(r));
    expect(second.conn.sent[0]).toMatchObject({ serial: 2, code: ResultCode.INTERNAL });
  });

  it('answers SHUTTING_DOWN to new requests while stopping (PING still works)', () => {
    const { dispatcher, conn, session } = setup({ [Command.PING]: (_s, req) => ({ sentAt: req.sentAt }), [Command.REGISTER]: () => ({}) });
    dispatcher.shuttingDown = true;
    dispatcher.handle(session, { serial: 3, command: Command.REGISTER, code: 0, payload: new Uint8Array() });
    dispatcher.handle(session, ping(4));
    expect(conn.sent.map((f) => f.code)).toEqual([ResultCode.SHUTTING_DOWN, ResultCode.OK]);
  });

  it('caps requests in flight per connection with RATE_LIMITED', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { dispatcher, conn, session } = setup({ [Command.PING]: async (_s, req) => (await gate, { sentAt: req.sentAt }) }, 2);
    for (let serial = 1; serial <= 3; serial++) dispatcher.handle(session, ping(serial));
    expect(conn.sent).toEqual([expect.objectContaining({ serial: 3, code: ResultCode.RATE_LIMITED })]);
    expect(fromBinary(ErrorDetailSchema, conn.sent[0]!.payload).retryAfterMs).toBe(100);
    release();
    await new Promise((r) => setImmediate(r));
    expect(conn.sent.map((f) => [f.serial, f.code])).toEqual([[3, ResultCode.RATE_LIMITED], [1, ResultCode.OK], [2, ResultCode.OK]]);
    expect(session.inFlight).toBe(0);
  });

  it('ignores PUSH_ACK from anonymous sessions and closes on a malformed one', () => {
    const { dispatcher, conn, session } = setup({});
    dispatcher.handle(session, { serial: 1, command: Command.PUSH_ACK, code: 0, payload: new Uint8Array([0xff]) });
    expect(conn.sent).toHaveLength(0);
    session.userId = 9;
    dispatcher.handle(session, { serial: 1, command: Command.PUSH_ACK, code: 0, payload: new Uint8Array([0xff]) });
    expect(conn.closed).toBe(true);
    expect(conn.closeReason?.code).toBe(ResultCode.MALFORMED_PAYLOAD);
  });

  it('hands each PUSH_ACK seq on as a number, whatever valid encoding it arrives in; 0 and values from 2^53 as such', () => {
    const acked: Array<[number, number]> = [];
    const metrics = new Metrics();
    const messages = { pushAcked: (userId: number, seq: number) => acked.push([userId, seq]) } as unknown as MessageService;
    const dispatcher = new Dispatcher({} as HandlerTable, messages, { now: () => 42 }, metrics, pino({ level: 'silent' }));
    const conn = new MemoryConnection();
    const session = new Session(1, conn, 0);
    session.userId = 7;
    const pushAck = (...payload: number[]) => dispatcher.handle(session, { serial: 1, command: Command.PUSH_ACK, code: 0, payload: Uint8Array.from(payload) });
    pushAck(0x08, 0xac, 0x02); // 300, the plain shape (hand-decoded)
    pushAck(0x08, 0xac, 0x82, 0x80, 0x00); // 300 padded to 5 bytes
    pushAck(0x08, 0x05, 0xc0, 0x3e, 0x01); // 5 and an unknown varint field 1000: the generic decoder's
    pushAck(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01); // 2^63: generic, inexact as a number
    pushAck(); // seq 0
    expect(acked.map(([, seq]) => seq)).toEqual([300, 300, 5, 2 ** 63, 0]);
    expect(acked.every(([userId]) => userId === 7)).toBe(true);
    expect(conn.closed).toBe(false);
  });
});
