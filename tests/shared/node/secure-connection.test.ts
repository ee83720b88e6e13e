/** connectSecure/acceptSecure over real loopback TCP. */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Command, decodePayload, encodeFrame, encodePayload, ErrorDetailSchema, HandshakeResponseSchema, ResultCode, type Frame } from '../../../shared/protocol';
import { generateStaticKeyPair, HandshakeState, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from '../../../shared/node/noise';
import { handshakeRecord, RecordReader, sealRecords } from '../../../shared/node/transport/records';
import { acceptSecure, connectSecure, SecureTransportError, type SecureConnection } from '../../../shared/node/transport/secure-connection';
import { closeEvent, nextFrames, startLoopback, type Loopback } from './helpers';

let loopback: Loopback | undefined;
const opened: SecureConnection[] = [];

/** Sockets, servers and timers that keep the process alive, by type. */
function liveResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (type === 'TCPSocketWrap' || type === 'TCPServerWrap' || type === 'Timeout') counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

let baseline: Record<string, number> = {};
beforeAll(() => {
  baseline = liveResources();
});

/** The resource types of which more are alive now than at the start (a timer of the runner's that ended meanwhile is no leak). */
function leaked(now: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(now).filter(([type, count]) => count > (baseline[type] ?? 0)));
}

afterAll(async () => {
  // Everything these tests opened must be gone (closing sockets may take a few turns of the loop).
  const deadline = Date.now() + 3000;
  while (Object.keys(leaked(liveResources())).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(leaked(liveResources())).toEqual({});
});

afterEach(async () => {
  for (const c of opened.splice(0)) c.destroy();
  await loopback?.close();
  loopback = undefined;
});

async function pair(): Promise<{ client: SecureConnection; server: SecureConnection; hello: Awaited<ReturnType<typeof connectSecure>>['hello'] }> {
  loopback = await startLoopback();
  const { connection: client, hello } = await connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: { protocolVersion: 1, clientName: 'test' } });
  const server = await loopback.accepted[0]!;
  opened.push(client, server);
  return { client, server, hello };
}

function patterned(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function expectRejectCode(promise: Promise<unknown>, code: ResultCode): Promise<SecureTransportError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecureTransportError);
  expect((err as SecureTransportError).code, (err as Error).message).toBe(code);
  return err as SecureTransportError;
}

describe('secure connection over loopback TCP', () => {
  it('completes the handshake and exchanges frames both ways', async () => {
    const { client, server, hello } = await pair();
    expect(hello.protocolVersion).toBe(1);
    expect(hello.maxFrameSize).toBe(1024 * 1024);
    expect(server.remoteAddress).toBe('127.0.0.1');

    const toServer = nextFrames(server, 3);
    client.send({ serial: 1, command: Command.PING, code: 0, payload: Uint8Array.of(1, 2, 3) });
    client.send({ serial: 2, command: Command.PING, code: 0, payload: new Uint8Array(0) });
    client.send({ serial: 3, command: Command.SYNC, code: 0, payload: patterned(5000, 7) });
    const got = await toServer;
    expect(got.map((f) => f.serial)).toEqual([1, 2, 3]);
    expect([...got[0]!.payload]).toEqual([1, 2, 3]);
    expect(got[1]!.payload.length).toBe(0);
    expect(Buffer.from(got[2]!.payload).equals(patterned(5000, 7))).toBe(true);

    const toClient = nextFrames(client, 1);
    server.send({ serial: 1, command: Command.PONG, code: ResultCode.OK, payload: Uint8Array.of(9) });
    const [pong] = await toClient;
    expect(pong).toMatchObject({ serial: 1, command: Command.PONG, code: ResultCode.OK });
    expect(client.bytesOut).toBeGreaterThan(5000);
    expect(server.bytesIn).toBe(client.bytesOut);
  });

  it('carries a 1 MiB frame (many records) both ways', async () => {
    const { client, server } = await pair();
    const size = 1024 * 1024 - 16;
    const big = patterned(size, 3);
    const toServer = nextFrames(server, 2);
    client.send({ serial: 10, command: Command.MESSAGE_SEND, code: 0, payload: big });
    client.send({ serial: 11, command: Command.PING, code: 0, payload: Uint8Array.of(42) });
    const [a, b] = await toServer;
    expect(a!.payload.length).toBe(size);
    expect(Buffer.from(a!.payload).equals(big)).toBe(true);
    expect(b!.serial).toBe(11);

    const toClient = nextFrames(client, 1);
    server.send({ serial: 5, command: Command.PUSH, code: 0, payload: big });
    const [c] = await toClient;
    expect(Buffer.from(c!.payload).equals(big)).toBe(true);
  });

  it('refuses to send a frame above maxFrameSize', async () => {
    const { client } = await pair();
    expect(() => client.send({ serial: 1, command: Command.PING, code: 0, payload: new Uint8Array(1024 * 1024) })).toThrow(RangeError);
  });

  it('emits exactly one close on both ends after an orderly close, and send() then returns false', async () => {
    const { client, server } = await pair();
    const frames = nextFrames(server, 1);
    const serverClosed = closeEvent(server);
    let clientCloses = 0;
    client.on('close', () => clientCloses++);
    client.send({ serial: 1, command: Command.PING, code: 0, payload: Uint8Array.of(1) });
    client.close();
    client.close();
    await frames; // flushed before the end
    expect(await serverClosed).toBeUndefined();
    expect(clientCloses).toBe(1);
    expect(client.closed).toBe(true);
    expect(client.send({ serial: 2, command: Command.PING, code: 0, payload: new Uint8Array(0) })).toBe(false);
  });

  it('rejects with HANDSHAKE_FAILED when the pinned key is not the server key', async () => {
    loopback = await startLoopback();
    const wrong = generateStaticKeyPair().publicKey;
    await expectRejectCode(connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: wrong, hello: { protocolVersion: 1 } }), ResultCode.HANDSHAKE_FAILED);
    await expectRejectCode(loopback.accepted[0]!, ResultCode.HANDSHAKE_FAILED);
  });

  it('passes the refusal of onHello to the client (UNSUPPORTED_VERSION)', async () => {
    loopback = await startLoopback({
      onHello: (req) => (req.protocolVersion === 1 ? { code: ResultCode.OK } : { code: ResultCode.UNSUPPORTED_VERSION, message: `version ${req.protocolVersion} is not served` }),
    });
    const err = await expectRejectCode(connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: { protocolVersion: 7 } }), ResultCode.UNSUPPORTED_VERSION);
    expect(err.message).toContain('version 7 is not served');
    await expectRejectCode(loopback.accepted[0]!, ResultCode.UNSUPPORTED_VERSION);
  });

  it('server: HANDSHAKE_TIMEOUT when the peer sends nothing, and the socket is closed', async () => {
    loopback = await startLoopback({ timeoutMs: 100 });
    const socket = connect({ host: '127.0.0.1', port: loopback.port });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    await expectRejectCode(loopback.firstAccepted(), ResultCode.HANDSHAKE_TIMEOUT);
    await closed;
  });

  it('client: HANDSHAKE_TIMEOUT when the server never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      await expectRejectCode(connectSecure({ host: '127.0.0.1', port, serverPublicKey: generateStaticKeyPair().publicKey, hello: {}, timeoutMs: 100 }), ResultCode.HANDSHAKE_TIMEOUT);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('client: maps a refused connection to INTERNAL with the errno', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await expectRejectCode(connectSecure({ host: '127.0.0.1', port, serverPublicKey: generateStaticKeyPair().publicKey, hello: {} }), ResultCode.INTERNAL);
    expect(err.message).toMatch(/^ECONNREFUSED/);
  });

  it('client: an aborted signal rejects with an AbortError', async () => {
    loopback = await startLoopback();
    const controller = new AbortController();
    const p = connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: {}, signal: controller.signal });
    controller.abort();
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SecureTransportError);
    expect((err as Error).name).toBe('AbortError');
  });

  it('server: garbage before the handshake fails with HANDSHAKE_FAILED', async () => {
    loopback = await startLoopback();
    const socket = connect({ host: '127.0.0.1', port: loopback.port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(Buffer.concat([Buffer.from([0, 60]), Buffer.alloc(60, 7)]));
    await expectRejectCode(loopback.firstAccepted(), ResultCode.HANDSHAKE_FAILED);
    socket.destroy();
  });

  it('garbage after the handshake: the server sends an ERROR frame and both sides close with DECRYPT_FAILED', async () => {
    loopback = await startLoopback();
    const { connection: client } = await connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: {} });
    const server = await loopback.accepted[0]!;
    opened.push(client, server);
    const serverClosed = closeEvent(server);
    const errorFrame = nextFrames(client, 1).catch(() => [] as Frame[]);
    const clientClosed = closeEvent(client);
    // Reach under the API to the socket, as a peer with a broken sender would.
    const clientSocket = (client as unknown as { socket: Socket }).socket;
    clientSocket.write(Buffer.concat([Buffer.from([0, 40]), Buffer.alloc(40, 0xab)]));
    const serverError = await serverClosed;
    expect(serverError?.code).toBe(ResultCode.DECRYPT_FAILED);
    const [frame] = await errorFrame;
    expect(frame?.command).toBe(Command.ERROR);
    const detail = decodePayload(ErrorDetailSchema, frame!.payload);
    expect(detail.ok && detail.value.code).toBe(ResultCode.DECRYPT_FAILED);
    expect(await clientClosed).toBeUndefined(); // the server ended the connection in order
  });

  it('a truncated stream (ended inside a record) closes with DECRYPT_FAILED', async () => {
    const { client, server } = await pair();
    const serverClosed = closeEvent(server);
    const clientSocket = (client as unknown as { socket: Socket }).socket;
    clientSocket.end(Buffer.from([0, 100, 1, 2, 3]));
    const error = await serverClosed;
    expect(error?.code).toBe(ResultCode.DECRYPT_FAILED);
    expect(error?.message).toMatch(/truncated/);
  });

  it('a record shorter than the tag closes with RECORD_TOO_LARGE (record length out of range)', async () => {
    const { client, server } = await pair();
    const serverClosed = closeEvent(server);
    const clientSocket = (client as unknown as { socket: Socket }).socket;
    clientSocket.write(Buffer.from([0, 3, 1, 2, 3]));
    expect((await serverClosed)?.code).toBe(ResultCode.RECORD_TOO_LARGE);
  });

  it('acceptSecure on a socket whose peer already left rejects and does not hang', async () => {
    const staticKey = generateStaticKeyPair();
    let accepted: (result: Promise<SecureConnection>) => void = () => {};
    const result = new Promise<SecureConnection>((resolve) => (accepted = resolve)); // adopts acceptSecure's outcome
    const srv = createServer((socket) => accepted(acceptSecure(socket, { staticKey, timeoutMs: 2000, onHello: () => ({ code: ResultCode.OK }) })));
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const socket = connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end();
    await expectRejectCode(result, ResultCode.HANDSHAKE_FAILED);
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  });

  it('client: frames coalesced with the last handshake message in one TCP write are delivered', async () => {
    const staticKey = generateStaticKeyPair();
    const srv = createServer((socket) => {
      const reader = new RecordReader();
      socket.on('data', (chunk) => {
        const [message] = reader.push(chunk).records;
        if (!message) return;
        const hs = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey });
        hs.readMessage(message);
        const reply = handshakeRecord(hs.writeMessage(encodeFrame({ serial: 0, command: Command.HANDSHAKE, code: 0, payload: encodePayload(HandshakeResponseSchema, { protocolVersion: 1 }) })));
        const { send } = hs.transportKeys();
        const pushes = [1, 2].flatMap((serial) => sealRecords(send, encodeFrame({ serial, command: Command.PUSH, code: 0, payload: Uint8Array.of(serial) })));
        socket.write(Buffer.concat([reply, ...pushes]));
      });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const { connection } = await connectSecure({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, serverPublicKey: staticKey.publicKey, hello: {} });
      opened.push(connection);
      const frames = await nextFrames(connection, 2);
      expect(frames.map((f) => [f.serial, f.payload[0]])).toEqual([
        [1, 1],
        [2, 2],
      ]);
    } finally {
      for (const c of opened.splice(0)) c.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });

  /** Diverts what the client's connection writes, so a test can replay or reorder records on the wire. */
  function divert(client: SecureConnection): { socket: Socket; captured: Uint8Array[]; restore: () => void } {
    const socket = (client as unknown as { socket: Socket }).socket;
    const original = socket.write;
    const captured: Uint8Array[] = [];
    socket.write = ((chunk: Uint8Array) => {
      captured.push(new Uint8Array(chunk));
      return true;
    }) as typeof socket.write;
    return { socket, captured, restore: () => (socket.write = original) };
  }

  it('a replayed record over TCP closes the connection with DECRYPT_FAILED', async () => {
    const { client, server } = await pair();
    const wire = divert(client);
    client.send({ serial: 1, command: Command.PING, code: 0, payload: Uint8Array.of(1) });
    wire.restore();
    const frames: Frame[] = [];
    server.on('frame', (f) => frames.push(f));
    const closed = closeEvent(server);
    wire.socket.write(wire.captured[0]!);
    wire.socket.write(wire.captured[0]!);
    expect((await closed)?.code).toBe(ResultCode.DECRYPT_FAILED);
    expect(frames.map((f) => f.serial)).toEqual([1]);
  });

  it('reordered records over TCP close the connection with DECRYPT_FAILED, delivering nothing', async () => {
    const { client, server } = await pair();
    const wire = divert(client);
    client.send({ serial: 1, command: Command.PING, code: 0, payload: Uint8Array.of(1) });
    client.send({ serial: 2, command: Command.PING, code: 0, payload: Uint8Array.of(2) });
    wire.restore();
    const frames: Frame[] = [];
    server.on('frame', (f) => frames.push(f));
    const closed = closeEvent(server);
    wire.socket.write(Buffer.concat([wire.captured[1]!, wire.captured[0]!]));
    expect((await closed)?.code).toBe(ResultCode.DECRYPT_FAILED);
    expect(frames).toEqual([]);
  });

  it('a frame above the server limit, sealed correctly, closes with FRAME_TOO_LARGE after an ERROR frame', async () => {
    loopback = await startLoopback({ maxFrameSize: 4096 });
    const { connection: client } = await connectSecure({
      host: '127.0.0.1',
      port: loopback.port,
      serverPublicKey: loopback.staticKey.publicKey,
      hello: {},
      maxFrameSize: 1024 * 1024,
    });
    const server = await loopback.accepted[0]!;
    opened.push(client, server);
    const serverClosed = closeEvent(server);
    const errorFrame = nextFrames(client, 1).catch(() => [] as Frame[]);
    client.send({ serial: 1, command: Command.SYNC, code: 0, payload: new Uint8Array(5000) });
    expect((await serverClosed)?.code).toBe(ResultCode.FRAME_TOO_LARGE);
    const [frame] = await errorFrame;
    expect(frame).toMatchObject({ command: Command.ERROR, code: ResultCode.FRAME_TOO_LARGE });
  });
});
