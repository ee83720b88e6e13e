// Bad input and abuse over real loopback: each case gets its result code, the connection is closed where the protocol says so,
// and the server keeps serving everyone else.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, ResultCode, PingSchema, PROTOCOL_VERSION } from '../../shared/protocol';
import { connectSecure } from '../../shared/node/transport';
import { create, toBinary } from '@bufbuild/protobuf';
import { TestClient } from './helpers/client';
import { removeDir, startTestServer, type TestServer } from './helpers/server';
import { befriend, direct } from './helpers/social';

let server: TestServer;
const open: TestClient[] = [];
async function client() {
  const c = await server.client();
  open.push(c);
  return c;
}
const endpoint = () => ({ host: server.host, port: server.port, publicKey: server.publicKey });

beforeAll(async () => {
  server = await startTestServer({
    maxFrameSize: 64 * 1024,
    handshakeTimeoutMs: 300,
    idleTimeoutMs: 1000,
    idleSweepIntervalMs: 100,
    loginFailuresPerAccount: 3,
    loginFailuresPerAddress: 8,
    maxTextLength: 100,
  });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await server.close();
  removeDir(server.dataDir);
});

/** Keeps a client from being reaped while a test waits. */
function keepAlive(c: TestClient): () => void {
  const timer = setInterval(() => void c.call(Command.PING, { sentAt: 1n }).catch(() => undefined), 200);
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

  it('closes on an oversized frame', async () => {
    const c = await TestClient.connect(endpoint(), { maxFrameSize: 1024 * 1024 });
    open.push(c);
    c.sendFrame({ serial: 1, command: Command.PING, code: 0, payload: new Uint8Array(100 * 1024) });
    await c.closedPromise;
    const error = c.pushes.find((p) => p.command === Command.ERROR);
    expect(error && c.decodePush(Command.ERROR, error).code).toBe(ResultCode.FRAME_TOO_LARGE);
  });

  it('closes a connection that sends garbage instead of a handshake, and one that sends nothing', async () => {
    const garbage = connect({ host: server.host, port: server.port });
    await new Promise((resolve) => garbage.once('connect', resolve));
    garbage.write(Buffer.alloc(200, 0x41));
    await new Promise((resolve) => garbage.once('close', resolve));

    const silent = connect({ host: server.host, port: server.port });
    silent.on('error', () => undefined);
    const started = Date.now();
    await new Promise((resolve) => silent.once('close', resolve));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('refuses an unsupported protocol version', async () => {
    await expect(
      connectSecure({ host: server.host, port: server.port, serverPublicKey: server.publicKey, hello: { protocolVersion: PROTOCOL_VERSION + 7 } }),
    ).rejects.toMatchObject({ code: ResultCode.UNSUPPORTED_VERSION });
  });

  it('reaps a silent connection with IDLE_TIMEOUT; a pinging one stays', async () => {
    const quiet = await client();
    const busy = await client();
    const stop = keepAlive(busy);
    await quiet.closedPromise;
    const error = quiet.pushes.find((p) => p.command === Command.ERROR);
    expect(error && quiet.decodePush(Command.ERROR, error).code).toBe(ResultCode.IDLE_TIMEOUT);
    expect(busy.closed).toBe(false);
    stop();
    expect(server.metrics.idleReaped).toBeGreaterThanOrEqual(1);
  });

  it('validates fields with INVALID_ARGUMENT naming the field, and text length with MESSAGE_TOO_LARGE', async () => {
    const a = await server.user('val_a');
    const b = await server.user('val_b');
    open.push(a, b);
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
    // A recall after the window is refused (window configured at the default 2 min: simulate with an old message is not
    // possible over the wire; see tests/server/services.test.ts for the clock-driven case).
  });

  it('throttles wrong passwords per account and per address with RATE_LIMITED and retry_after_ms', async () => {
    const victim = await server.user('victim');
    open.push(victim);
    const c = await client();
    const wrong = { username: 'victim', credential: { case: 'password' as const, value: 'wrong password' }, device: { deviceId: 'd1' } };
    for (let i = 0; i < 3; i++) expect(await c.fails(Command.LOGIN, wrong)).toBe(ResultCode.BAD_CREDENTIALS);
    const limited = await c.call(Command.LOGIN, wrong).catch((e: unknown) => e);
    expect(limited).toMatchObject({ code: ResultCode.RATE_LIMITED });
    expect((limited as { detail: { retryAfterMs: number } }).detail.retryAfterMs).toBeGreaterThan(0);
    // Even the right password waits.
    expect(await c.fails(Command.LOGIN, { ...wrong, credential: { case: 'password', value: 'correct horse battery' } })).toBe(ResultCode.RATE_LIMITED);
    // Per address: failures spread over many accounts hit the address limit (8, of which 3 are spent above).
    for (let i = 0; i < 5; i++) {
      expect(await c.fails(Command.LOGIN, { ...wrong, username: `nobody${i}` })).toBe(ResultCode.BAD_CREDENTIALS);
    }
    expect(await c.fails(Command.LOGIN, { ...wrong, username: 'someone_else' })).toBe(ResultCode.RATE_LIMITED);
  });

  it('keeps serving others throughout', async () => {
    const c = await client();
    const pong = await c.call(Command.PING, { sentAt: 1n });
    expect(pong.sentAt).toBe(1n);
    expect(toBinary(PingSchema, create(PingSchema, {})).length).toBe(0);
  });
});
