// Bad input and abuse over real loopback: each case gets its result code, the connection is closed where the protocol says so,
// and the server keeps serving everyone else.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Command, ResultCode, PingSchema, PROTOCOL_VERSION, ConversationRefSchema, ConversationType, ErrorDetailSchema, SyncDomain } from '../../shared/protocol';
import { connectSecure } from '../../shared/node/transport';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { concatBytes } from '../shared/support/fuzz';
import { lenField } from '../shared/support/protowire';
import { TestClient } from './helpers/client';
import { serverFixture } from './helpers/server';
import { befriend, direct, sendText } from './helpers/social';

const fixture = serverFixture({
  maxFrameSize: 64 * 1024,
  // Short enough for fast tests, long enough that a busy CI machine does not trip them elsewhere.
  handshakeTimeoutMs: 1000,
  idleTimeoutMs: 2000,
  idleSweepIntervalMs: 100,
  maxTextLength: 100,
});
const client = fixture.client;
const endpoint = () => ({ host: fixture.server.host, port: fixture.server.port, publicKey: fixture.server.publicKey });

/** Keeps a client from being reaped while a test waits. */
function keepAlive(c: TestClient): () => void {
  const timer = setInterval(() => void c.call(Command.PING, { sentAt: 1n }).catch(() => undefined), 300);
  return () => clearInterval(timer);
}

describe('bad input', () => {
  it('answers PING with PONG, before and after login', async () => {
    const c = await client();
    const pong = await c.call(Command.PING, { sentAt: 12345n });
    expect(pong.sentAt).toBe(12345n);
    expect(pong.serverTime).toBeGreaterThan(0n);
  });

  it('refuses commands before login with NOT_AUTHENTICATED and keeps the connection', async () => {
    const c = await client();
    expect(await c.fails(Command.SYNC, {})).toBe(ResultCode.NOT_AUTHENTICATED);
    expect(await c.fails(Command.MESSAGE_SEND, { clientMsgId: 'x', text: 'x' })).toBe(ResultCode.NOT_AUTHENTICATED);
    expect(c.closed).toBe(false);
    await c.call(Command.PING, {});
  });

  it('answers an unknown command with UNKNOWN_COMMAND and closes', async () => {
    const c = await client();
    const reply = await c.callRaw(999, new Uint8Array());
    expect(reply.code).toBe(ResultCode.UNKNOWN_COMMAND);
    await c.closedPromise;
  });

  it('answers a malformed payload with MALFORMED_PAYLOAD and closes', async () => {
    const c = await client();
    const reply = await c.callRaw(Command.LOGIN, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(reply.code).toBe(ResultCode.MALFORMED_PAYLOAD);
    await c.closedPromise;
  });

  it('refuses a payload the lenient decoder would truncate: a text length of 2^32 + 3, then "abc"', async () => {
    const a = await fixture.user('trunc_a');
    const b = await fixture.user('trunc_b');
    await befriend(a, b);
    const to = toBinary(ConversationRefSchema, create(ConversationRefSchema, { type: ConversationType.DIRECT, id: BigInt(b.userId) }));
    const payload = concatBytes([lenField(1, to), lenField(2, new TextEncoder().encode('m-trunc')), lenField(3, new TextEncoder().encode('abc'), 2n ** 32n + 3n)]);
    const reply = await a.callRaw(Command.MESSAGE_SEND, payload);
    expect(reply.code).toBe(ResultCode.MALFORMED_PAYLOAD);
    expect(fromBinary(ErrorDetailSchema, reply.payload).message).toMatch(/SendMessageRequest\.text: length 4294967299/);
    await a.closedPromise;
    // Nothing was stored: b's history has no message.
    const sync = await b.call(Command.SYNC, { domains: [SyncDomain.MESSAGES] });
    expect(sync.events).toEqual([]);
  });

  it('closes on an oversized frame', async () => {
    const c = await TestClient.connect(endpoint(), { maxFrameSize: 1024 * 1024 });
    fixture.track(c);
    c.sendFrame({ serial: 1, command: Command.PING, code: 0, payload: new Uint8Array(100 * 1024) });
    await c.closedPromise;
    expect(c.errorFrame().code).toBe(ResultCode.FRAME_TOO_LARGE); // from the transport: serial 0, code in the header
  });

  it('closes a connection that sends garbage instead of a handshake, and one that sends nothing', async () => {
    const garbage = connect({ host: fixture.server.host, port: fixture.server.port });
    await new Promise((resolve) => garbage.once('connect', resolve));
    garbage.write(Buffer.alloc(200, 0x41));
    await new Promise((resolve) => garbage.once('close', resolve));

    const silent = connect({ host: fixture.server.host, port: fixture.server.port });
    silent.on('error', () => undefined);
    const started = Date.now();
    await new Promise((resolve) => silent.once('close', resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('refuses an unsupported protocol version', async () => {
    await expect(
      connectSecure({ host: fixture.server.host, port: fixture.server.port, serverPublicKey: fixture.server.publicKey, hello: { protocolVersion: PROTOCOL_VERSION + 7 } }),
    ).rejects.toMatchObject({ code: ResultCode.UNSUPPORTED_VERSION });
  });

  it('reaps a silent connection with IDLE_TIMEOUT; a pinging one stays', async () => {
    const quiet = await client();
    const busy = await client();
    const stop = keepAlive(busy);
    await quiet.closedPromise;
    expect(quiet.errorFrame().code).toBe(ResultCode.IDLE_TIMEOUT); // from the server's sweep: the same shape
    expect(busy.closed).toBe(false);
    stop();
    expect(await fixture.server.metrics.value('tern_idle_reaped_total')).toBeGreaterThanOrEqual(1);
  });

  it('validates fields with INVALID_ARGUMENT naming the field, and text length with MESSAGE_TOO_LARGE', async () => {
    const a = await fixture.user('val_a');
    const b = await fixture.user('val_b');
    await befriend(a, b);
    const err = await a.call(Command.MESSAGE_SEND, { to: direct(b), clientMsgId: '', text: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ResultCode.INVALID_ARGUMENT, detail: { field: 'client_msg_id' } });
    expect(await a.fails(Command.MESSAGE_SEND, { to: direct(b), clientMsgId: 'm', text: 'x'.repeat(101) })).toBe(ResultCode.MESSAGE_TOO_LARGE);
    expect(await a.fails(Command.MESSAGE_SEND, { to: direct(b), clientMsgId: 'm', text: '' })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await a.fails(Command.MESSAGE_SEND, { to: direct(b), clientMsgId: 'm', text: 'x', replyToMsgId: 123456n })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await a.fails(Command.MESSAGE_SEND, { clientMsgId: 'm', text: 'x' })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await a.fails(Command.MESSAGE_SEND, { to: direct(999_999), clientMsgId: 'm', text: 'x' })).toBe(ResultCode.NOT_FOUND);
    expect(await a.fails(Command.MESSAGE_RECALL, { msgId: 0n })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await a.fails(Command.REGISTER, { username: 'again', password: 'password1', device: { deviceId: 'd' } })).toBe(ResultCode.ALREADY_AUTHENTICATED);
    // The recall window is tested with an injected clock in services.test.ts.
  });

  it('keeps serving others throughout', async () => {
    const c = await client();
    const pong = await c.call(Command.PING, { sentAt: 1n });
    expect(pong.sentAt).toBe(1n);
    expect(toBinary(PingSchema, create(PingSchema, {})).length).toBe(0);
  });
});

describe('a peer that stops reading', () => {
  // Its own server: big messages (default text limit) fill the socket buffers quickly.
  const own = serverFixture({ idleTimeoutMs: 2000, idleSweepIntervalMs: 100, sendBurst: 100_000 });

  it('is disconnected after the idle limit even while it keeps sending', async () => {
    const reader = await own.user('slow_reader');
    const writer = await own.user('fast_writer');
    await befriend(reader, writer);
    // Stop reading on the reader's socket, but keep writing PINGs so it is not idle.
    (reader.conn as unknown as { socket: Socket }).socket.pause();
    const stopPing = setInterval(() => reader.sendFrame({ serial: 99, command: Command.PING, code: 0, payload: new Uint8Array() }), 200);
    const stopWriter = keepAlive(writer);
    const big = '消息'.repeat(4000); // 8,000 characters, about 24 KB per push
    let sent = 0;
    const started = Date.now();
    while (!reader.closed && Date.now() - started < 30_000) {
      await Promise.all(Array.from({ length: 20 }, () => sendText(writer, direct(reader), big)));
      sent += 20;
    }
    clearInterval(stopPing);
    stopWriter();
    expect(reader.closed).toBe(true);
    expect(writer.closed).toBe(false);
    expect(sent).toBeGreaterThan(0);
  });
});
