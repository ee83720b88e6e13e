/**
 * No byte stream may crash either end (issue 9 item 1). Over real loopback
 * TCP, in arbitrary chunkings:
 *
 * - server side: streams where a handshake message belongs (garbage, runs of
 *   zeros up to 1 MiB, empty records, records of garbage, a header promising
 *   more than comes), mutated handshake messages, and mutated or garbage
 *   record streams after an honest handshake, against acceptSecure +
 *   SecureConnection (every outcome observed: a clear result code and
 *   message) and against the real server as its own process;
 * - client side: a hostile server answering connectSecure with garbage,
 *   mutated or odd handshake replies, hang-ups, and mutated record streams;
 *   the client rejects or closes with a result code, and delivers only
 *   authentic frames;
 * - splits at every offset of a valid handshake and of valid records are
 *   reassembled.
 *
 * A healthy client is served throughout and after. Seeded: FUZZ_SEED=<n>,
 * FUZZ_CASES=<n> (server-side cases; the client and process parts scale
 * with it), FUZZ_ONLY=<case> replays one case. Failures name seed and case.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command, encodeFrame, encodePayload, HandshakeResponseSchema, ResultCode, type Frame } from '../../../shared/protocol';
import { nativeCrypto, type CipherState, type StaticKeyPair } from '../../../shared/node/noise';
import { MAX_RECORD_SIZE, sealRecords } from '../../../shared/node/transport/records';
import { MAX_ANNOUNCED_FRAME_SIZE } from '../../../shared/node/transport/client-handshake';
import { acceptSecure, connectSecure, SecureTransportError, type SecureConnection } from '../../../shared/node/transport/secure-connection';
import { TestClient } from '../../server/helpers/client';
import { startServerProcess, type ServerProcess } from '../../server/helpers/process';
import { concatBytes, fuzzCases, fuzzSeed, mutate, Rng } from '../support/fuzz';
import {
  chunking,
  closedWithin,
  drain,
  frameBytes,
  handshakeRecord,
  helloFrame,
  initiator,
  openSocket,
  preHandshakeStream,
  readRecord,
  responder,
  transportTail,
  turn,
  welcomeFrame,
  writePieces,
} from './hostile';
import { closeEvent, nextFrames } from './helpers';

const SEED = fuzzSeed(9_2026);
const SERVER_CASES = fuzzCases(1_200);
const CLIENT_CASES = Math.ceil(SERVER_CASES / 3);
const PROCESS_CASES = Math.ceil(SERVER_CASES / 8);
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
const MAX_FRAME = 64 * 1024;
const CLOSE_MS = 5_000;
const CONCURRENCY = 4;

/** One reproducible generator per case, whatever the concurrency. */
const caseRng = (part: number, n: number): Rng => new Rng((SEED + Math.imul(part * 1_000_003 + n, 0x9e3779b1)) >>> 0);
const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);
const isResultCode = (code: unknown): boolean => typeof code === 'number' && typeof ResultCode[code] === 'string';

/** Runs `count` cases, `CONCURRENCY` at a time (or only FUZZ_ONLY). */
async function runCases(count: number, body: (n: number) => Promise<void>): Promise<void> {
  const indices = ONLY === undefined ? Array.from({ length: count }, (_, i) => i) : [ONLY];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < indices.length) await body(indices[next++]!);
    }),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** How the server side of one connection ended. */
interface Outcome {
  phase: 'handshake' | 'transport';
  /** undefined: an orderly close. */
  code: number | undefined;
  message: string;
}

/**
 * acceptSecure + SecureConnection with a tiny application (PING -> PONG),
 * recording how every connection ends, by the client's port.
 */
class Harness {
  readonly staticKey: StaticKeyPair = nativeCrypto.dh.generateKeyPair();
  private readonly server: Server;
  private readonly outcomes = new Map<number, { promise: Promise<Outcome>; resolve: (o: Outcome) => void }>();
  readonly sockets = new Map<number, Socket>();
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      const port = socket.remotePort!;
      this.sockets.set(port, socket);
      socket.on('close', () => setTimeout(() => this.sockets.delete(port), 1000).unref());
      const settle = this.slot(port).resolve;
      acceptSecure(socket, {
        staticKey: this.staticKey,
        timeoutMs: CLOSE_MS,
        maxFrameSize: MAX_FRAME,
        onHello: () => ({ code: ResultCode.OK, response: { protocolVersion: 1, maxFrameSize: MAX_FRAME } }),
      }).then(
        (conn) => {
          conn.on('frame', (frame) => {
            if (frame.command === Command.PING) conn.send({ serial: frame.serial, command: Command.PONG, code: 0, payload: frame.payload });
          });
          conn.on('close', (error) => settle({ phase: 'transport', code: error?.code, message: error?.message ?? 'orderly close' }));
        },
        (err: unknown) => settle({ phase: 'handshake', code: err instanceof SecureTransportError ? err.code : undefined, message: err instanceof Error ? err.message : String(err) }),
      );
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private slot(port: number) {
    let slot = this.outcomes.get(port);
    if (!slot) {
      let resolve!: (o: Outcome) => void;
      const promise = new Promise<Outcome>((r) => (resolve = r));
      slot = { promise, resolve };
      this.outcomes.set(port, slot);
    }
    return slot;
  }

  /** How the connection from client port `port` ended (waits for it). */
  outcome(port: number): Promise<Outcome> {
    const { promise } = this.slot(port);
    void promise.then(() => setTimeout(() => this.outcomes.delete(port), 1000).unref());
    return promise;
  }

  /** Resolves once the server side of `port` has read `bytes` bytes (so the next write is a new 'data' event). */
  async readAtLeast(port: number, bytes: number): Promise<void> {
    const deadline = Date.now() + CLOSE_MS;
    while ((this.sockets.get(port)?.bytesRead ?? 0) < bytes) {
      if (Date.now() > deadline) throw new Error(`server read ${this.sockets.get(port)?.bytesRead ?? 0} of ${bytes} bytes`);
      await turn();
    }
  }

  close(): Promise<void> {
    for (const socket of this.sockets.values()) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A healthy client pinging all along; `stop()` reports how it went. */
function keepPinging(ping: (serial: number) => Promise<void>): { stop(): Promise<{ pongs: number; failures: string[] }> } {
  let running = true;
  let pongs = 0;
  const failures: string[] = [];
  const loop = (async () => {
    for (let serial = 1; running; serial++) {
      try {
        await ping(serial);
        pongs++;
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { pongs, failures };
    },
  };
}

/** PING on `connection`; resolves on the PONG with the same serial (other traffic is ignored), rejects after CLOSE_MS. */
function pingOver(connection: SecureConnection, serial: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer);
      connection.off('frame', onFrame);
      connection.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onFrame = (frame: Frame): void => {
      if (frame.command === Command.PONG && frame.serial === serial) done();
    };
    const onClose = (): void => done(new Error(`the healthy connection closed while waiting for PONG ${serial}`));
    const timer = setTimeout(() => done(new Error(`no PONG for PING ${serial} within ${CLOSE_MS} ms`)), CLOSE_MS);
    connection.on('frame', onFrame);
    connection.on('close', onClose);
    connection.send({ serial, command: Command.PING, code: 0, payload: Uint8Array.of(serial & 0xff) });
  });
}

interface ServerCase {
  stage: 'pre-handshake' | 'handshake' | 'transport';
  label: string;
  /** True when the stream is certainly invalid, so the server must report a result code. */
  mustFail: boolean;
  /** True when the stream is certainly valid, so the server must close in order. */
  mustSucceed: boolean;
}

/** One hostile client connection to `port` (server key `serverKey`); returns what it sent and whether the server closed it. */
async function hostileClient(rng: Rng, port: number, serverKey: Uint8Array): Promise<ServerCase & { clientPort: number; closed: boolean }> {
  const socket = await openSocket(port);
  const clientPort = socket.localPort!;
  const stage = rng.pick<ServerCase['stage']>(['pre-handshake', 'handshake', 'transport']);
  let c: ServerCase;
  if (stage === 'pre-handshake') {
    const { kind, bytes } = preHandshakeStream(rng);
    await writePieces(socket, chunking(rng, bytes));
    c = { stage, label: kind, mustFail: true, mustSucceed: false };
  } else if (stage === 'handshake') {
    const genuine = handshakeRecord(initiator(serverKey).writeMessage(helloFrame()));
    const variant = rng.pick(['mutated', 'mutated', 'wrong-key', 'twice', 'then-garbage']);
    let bytes: Uint8Array;
    let valid = false;
    if (variant === 'mutated') {
      bytes = mutate(rng, genuine, MAX_RECORD_SIZE, [0]).bytes;
      valid = equal(bytes, genuine);
    } else if (variant === 'wrong-key') {
      bytes = handshakeRecord(initiator(nativeCrypto.dh.generateKeyPair().publicKey).writeMessage(helloFrame()));
    } else if (variant === 'twice') {
      bytes = concatBytes([genuine, genuine]);
    } else {
      bytes = concatBytes([genuine, rng.bytes(1 + rng.int(100))]);
    }
    await writePieces(socket, chunking(rng, bytes));
    c = { stage, label: variant, mustFail: !valid, mustSucceed: valid };
  } else {
    const hs = initiator(serverKey);
    await writePieces(socket, chunking(rng, handshakeRecord(hs.writeMessage(helloFrame()))));
    const reply = await readRecord(socket);
    if (!reply) throw new Error('the server did not answer an honest handshake');
    hs.readMessage(reply);
    const tail = transportTail(rng, hs.transportKeys().send, MAX_FRAME);
    await writePieces(socket, chunking(rng, tail.bytes));
    const certain = tail.mutation === 'zeros' || tail.mutation === 'empty-record' || tail.mutation === 'tag-only';
    c = { stage, label: tail.mutation, mustFail: certain, mustSucceed: tail.mutation === 'none' };
  }
  drain(socket);
  socket.end();
  const closed = await closedWithin(socket, CLOSE_MS);
  socket.destroy();
  return { ...c, clientPort, closed };
}

let harness: Harness;
let healthyServer: { connection: SecureConnection };

beforeAll(async () => {
  harness = await new Harness().start();
  const { connection } = await connectSecure({ host: '127.0.0.1', port: harness.port, serverPublicKey: harness.staticKey.publicKey, hello: { protocolVersion: 1 } });
  healthyServer = { connection };
});

afterAll(async () => {
  healthyServer?.connection.destroy();
  await harness?.close();
});

describe('transport fuzz: the server side', () => {
  it(`closes ${SERVER_CASES} hostile client streams with a clear error and keeps serving a healthy client`, async () => {
    const pinger = keepPinging((serial) => pingOver(healthyServer.connection, serial));
    const failures: string[] = [];
    const counts = new Map<string, number>();
    const codes = new Map<string, number>();
    await runCases(SERVER_CASES, async (n) => {
      const rng = caseRng(1, n);
      const where = `seed ${SEED} case ${n}`;
      let result;
      try {
        result = await hostileClient(rng, harness.port, harness.staticKey.publicKey);
      } catch (err) {
        failures.push(`${where}: the fuzzer failed: ${String(err)}`);
        return;
      }
      const key = `${result.stage}/${result.label}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const outcome = await withTimeout(harness.outcome(result.clientPort), CLOSE_MS, undefined);
      const what = `${where} (${key})`;
      if (!result.closed) failures.push(`${what}: the server did not close the connection`);
      if (!outcome) return void failures.push(`${what}: no outcome on the server`);
      const name = outcome.code === undefined ? 'orderly' : (ResultCode[outcome.code] ?? `code ${outcome.code}`);
      codes.set(name, (codes.get(name) ?? 0) + 1);
      if (outcome.code !== undefined && (!isResultCode(outcome.code) || outcome.message.length === 0)) failures.push(`${what}: unclear error ${outcome.code} "${outcome.message}"`);
      if (outcome.phase === 'handshake' && outcome.code === undefined) failures.push(`${what}: a failed handshake without a code: ${outcome.message}`);
      if (result.mustFail && outcome.code === undefined) failures.push(`${what}: an invalid stream was accepted`);
      if (result.mustSucceed && outcome.code !== undefined) failures.push(`${what}: a valid stream failed: ${name} ${outcome.message}`);
    });
    const health = await pinger.stop();
    console.log(
      `transport fuzz, server side (seed ${SEED}): ${SERVER_CASES} cases ${JSON.stringify(Object.fromEntries([...counts].sort()))}; outcomes ${JSON.stringify(Object.fromEntries(codes))}; healthy client: ${health.pongs} PONGs during`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(health.failures).toEqual([]);
    expect(health.pongs).toBeGreaterThan(0);
    // After: the same healthy connection, and a new client, are served.
    await pingOver(healthyServer.connection, 1_000_000);
    const { connection } = await connectSecure({ host: '127.0.0.1', port: harness.port, serverPublicKey: harness.staticKey.publicKey, hello: { protocolVersion: 1 } });
    await pingOver(connection, 1);
    connection.destroy();
    // Every outcome kind the fuzzer means to reach was reached.
    expect([...codes.keys()]).toEqual(expect.arrayContaining(['HANDSHAKE_FAILED', 'DECRYPT_FAILED', 'RECORD_TOO_LARGE', 'orderly']));
  }, 300_000);

  it('1 MiB of zeros, before and after the handshake, in one write and in 64 KiB pieces', async () => {
    const zeros = new Uint8Array(1024 * 1024);
    for (const pieces of [[zeros], chunkEvery(zeros, 65_536)]) {
      const socket = await openSocket(harness.port);
      const port = socket.localPort!;
      await writePieces(socket, pieces);
      drain(socket);
      socket.end();
      expect(await closedWithin(socket, CLOSE_MS)).toBe(true);
      expect(await harness.outcome(port)).toMatchObject({ phase: 'handshake', code: ResultCode.HANDSHAKE_FAILED });
    }
    const socket = await openSocket(harness.port);
    const port = socket.localPort!;
    const hs = initiator(harness.staticKey.publicKey);
    socket.write(handshakeRecord(hs.writeMessage(helloFrame())));
    hs.readMessage((await readRecord(socket))!);
    await writePieces(socket, chunkEvery(zeros, 65_536));
    socket.end();
    expect(await closedWithin(socket, CLOSE_MS)).toBe(true);
    expect(await harness.outcome(port)).toMatchObject({ phase: 'transport', code: ResultCode.RECORD_TOO_LARGE });
    await pingOver(healthyServer.connection, 2_000_000);
  });

  it('reassembles a handshake message split at every offset, then records split at every offset', async () => {
    const probe = handshakeRecord(initiator(harness.staticKey.publicKey).writeMessage(helloFrame()));
    for (let k = 1; k < probe.length; k++) {
      const hs = initiator(harness.staticKey.publicKey);
      const first = handshakeRecord(hs.writeMessage(helloFrame()));
      const socket = await openSocket(harness.port);
      const port = socket.localPort!;
      socket.write(first.subarray(0, k));
      await harness.readAtLeast(port, k);
      socket.write(first.subarray(k));
      const reply = await readRecord(socket);
      expect(reply, `split at ${k}`).toBeDefined();
      hs.readMessage(reply!);
      const { send, receive } = hs.transportKeys();
      if (k === probe.length - 1) await recordsSplitAtEveryOffset(socket, port, send, receive);
      socket.destroy();
      expect((await harness.outcome(port)).phase, `split at ${k}`).toBe('transport');
    }
  });
});

/** Fixed-size pieces. */
function chunkEvery(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) out.push(bytes.subarray(offset, offset + size));
  return out;
}

/** On one connection: PING record k split at offset k, for every offset of its length; each must get its PONG. */
async function recordsSplitAtEveryOffset(socket: Socket, port: number, send: CipherState, receive: CipherState): Promise<void> {
  let sent = harness.sockets.get(port)!.bytesRead;
  for (let k = 1; ; k++) {
    const [record] = sealRecords(send, encodeFrameBytes({ serial: k, command: Command.PING, code: 0, payload: Uint8Array.of(1, 2, 3, 4, 5) }));
    if (k >= record!.length) break;
    socket.write(record!.subarray(0, k));
    await harness.readAtLeast(port, sent + k);
    socket.write(record!.subarray(k));
    sent += record!.length;
    const pong = await readRecord(socket);
    expect(pong, `record split at ${k}`).toBeDefined();
    expect(Buffer.from(receive.decrypt(pong!)).readInt32BE(4), `PONG serial after a split at ${k}`).toBe(k);
  }
}

function encodeFrameBytes(frame: Frame): Uint8Array {
  return encodeFrame(frame, MAX_FRAME);
}

/** A raw TCP server whose every connection runs the next behaviour in line, after reading the client's first message. */
class HostileServer {
  readonly key: StaticKeyPair = nativeCrypto.dh.generateKeyPair();
  private readonly server: Server;
  private readonly queue: Array<(socket: Socket, message1: Uint8Array) => Promise<void>> = [];
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      const behaviour = this.queue.shift();
      void (async () => {
        const message1 = await readRecord(socket);
        if (!message1 || !behaviour) return void socket.destroy();
        await behaviour(socket, message1);
        if (!socket.destroyed) socket.end();
        await closedWithin(socket, CLOSE_MS);
        socket.destroy();
      })();
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  next(behaviour: (socket: Socket, message1: Uint8Array) => Promise<void>): void {
    this.queue.push(behaviour);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface ClientCase {
  stage: 'garbage' | 'hang-up' | 'reply-mutated' | 'reply-odd' | 'transport';
  label: string;
  /** Frames the hostile server sealed after its reply (for the authenticity check). */
  sent: Frame[];
  mustFail: boolean;
  mustSucceed: boolean;
}

/** Queues one hostile behaviour on `hostile` and describes it. */
function hostileBehaviour(rng: Rng, hostile: HostileServer): ClientCase {
  const stage = rng.pick<ClientCase['stage']>(['garbage', 'hang-up', 'reply-mutated', 'reply-odd', 'transport', 'transport']);
  const c: ClientCase = { stage, label: stage, sent: [], mustFail: true, mustSucceed: false };
  switch (stage) {
    case 'garbage': {
      const { kind, bytes } = preHandshakeStream(rng);
      c.label = kind;
      hostile.next((socket) => writePieces(socket, chunking(rng, bytes)));
      break;
    }
    case 'hang-up': {
      const how = rng.pick(['reset', 'end', 'half-reply']);
      c.label = how;
      hostile.next(async (socket, message1) => {
        if (how === 'reset') return void socket.resetAndDestroy();
        if (how === 'half-reply') {
          const r = responder(hostile.key);
          r.readMessage(message1);
          const reply = handshakeRecord(r.writeMessage(welcomeFrame(MAX_FRAME)));
          await writePieces(socket, [reply.subarray(0, 1 + rng.int(reply.length - 1))]);
          socket.resetAndDestroy();
        }
      });
      break;
    }
    case 'reply-mutated': {
      hostile.next(async (socket, message1) => {
        const r = responder(hostile.key);
        r.readMessage(message1);
        const reply = handshakeRecord(r.writeMessage(welcomeFrame(MAX_FRAME)));
        const { bytes, mutation } = mutate(rng, reply, MAX_RECORD_SIZE, [0]);
        c.label = mutation;
        if (equal(bytes, reply)) {
          c.mustFail = false;
          c.mustSucceed = true;
        }
        await writePieces(socket, chunking(rng, bytes));
      });
      break;
    }
    case 'reply-odd': {
      // A correctly encrypted reply whose payload is not a good HandshakeResponse frame.
      const variant = rng.pick(['random-payload', 'empty-payload', 'other-command', 'refusal-garbage', 'bad-response', 'two-frames', 'huge-frame-size']);
      c.label = variant;
      if (variant === 'huge-frame-size') {
        c.mustFail = false;
        c.mustSucceed = true;
      }
      hostile.next(async (socket, message1) => {
        const r = responder(hostile.key);
        r.readMessage(message1);
        const welcome = welcomeFrame(MAX_FRAME);
        const frameOf = (command: number, code: number, payload: Uint8Array): Uint8Array => encodeFrameBytes({ serial: 0, command, code, payload });
        const payload =
          variant === 'random-payload'
            ? rng.bytes(rng.int(200))
            : variant === 'empty-payload'
              ? new Uint8Array(0)
              : variant === 'other-command'
                ? frameOf(Command.PING, 0, new Uint8Array(0))
                : variant === 'refusal-garbage'
                  ? frameOf(Command.HANDSHAKE, 1 + rng.int(2 ** 31 - 1), rng.bytes(rng.int(50)))
                  : variant === 'bad-response'
                    ? frameOf(Command.HANDSHAKE, ResultCode.OK, rng.bytes(1 + rng.int(50)))
                    : variant === 'two-frames'
                      ? concatBytes([welcome, welcome])
                      : frameOf(Command.HANDSHAKE, ResultCode.OK, encodePayload(HandshakeResponseSchema, { protocolVersion: 1, maxFrameSize: 0xffffffff }));
        await writePieces(socket, chunking(rng, handshakeRecord(r.writeMessage(payload))));
      });
      break;
    }
    case 'transport': {
      hostile.next(async (socket, message1) => {
        const r = responder(hostile.key);
        r.readMessage(message1);
        const reply = handshakeRecord(r.writeMessage(welcomeFrame(MAX_FRAME)));
        const tail = transportTail(rng, r.transportKeys().send, MAX_FRAME);
        c.label = tail.mutation;
        c.sent = tail.frames;
        c.mustFail = false;
        c.mustSucceed = tail.mutation === 'none';
        // Reply and records in one stream, so some pieces carry both (the client's initialData path).
        await writePieces(socket, chunking(rng, concatBytes([reply, tail.bytes])));
      });
      break;
    }
  }
  return c;
}

describe('transport fuzz: the client side (a hostile server)', () => {
  let hostile: HostileServer;
  beforeAll(async () => {
    hostile = await new HostileServer().start();
  });
  afterAll(() => hostile?.close());

  it(`rejects or closes ${CLIENT_CASES} hostile server streams with a clear error, delivering only authentic frames`, async () => {
    const failures: string[] = [];
    const counts = new Map<string, number>();
    const codes = new Map<string, number>();
    // One at a time: the hostile server pairs connections with behaviours in order.
    const indices = ONLY === undefined ? Array.from({ length: CLIENT_CASES }, (_, i) => i) : [ONLY];
    for (const n of indices) {
      const rng = caseRng(2, n);
      const c = hostileBehaviour(rng, hostile);
      const where = `seed ${SEED} client case ${n}`;
      let connected = false;
      let code: number | undefined;
      let message = '';
      const frames: Frame[] = [];
      try {
        const { connection } = await connectSecure({ host: '127.0.0.1', port: hostile.port, serverPublicKey: hostile.key.publicKey, hello: { protocolVersion: 1 }, timeoutMs: CLOSE_MS });
        connected = true;
        connection.on('frame', (f) => frames.push(f));
        const closed = await withTimeout<Awaited<ReturnType<typeof closeEvent>> | 'timeout'>(closeEvent(connection), CLOSE_MS, 'timeout');
        if (closed === 'timeout') {
          failures.push(`${where} (${c.stage}/${c.label}): the connection stayed open after the server ended`);
          connection.destroy();
        } else {
          code = closed?.code;
          message = closed?.message ?? '';
        }
      } catch (err) {
        if (!(err instanceof SecureTransportError)) {
          failures.push(`${where} (${c.stage}/${c.label}): threw ${String(err)}`);
          continue;
        }
        code = err.code;
        message = err.message;
      }
      const key = `${c.stage}/${c.label}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const name = code === undefined ? (connected ? 'orderly' : 'none') : (ResultCode[code] ?? 'server code');
      codes.set(name, (codes.get(name) ?? 0) + 1);
      const what = `${where} (${key})`;
      if (code !== undefined && (!isResultCode(code) || message.length === 0)) failures.push(`${what}: unclear error ${code} "${message}"`);
      if (!connected && code === undefined) failures.push(`${what}: failed without a code`);
      if (c.mustFail && connected) failures.push(`${what}: the handshake succeeded`);
      if (c.mustSucceed && (!connected || (c.stage === 'transport' && code !== undefined))) failures.push(`${what}: a valid exchange failed: ${code} ${message}`);
      // Authenticity: what was delivered is a prefix of what the server sealed.
      if (!frameBytes(c.sent, MAX_FRAME).startsWith(frameBytes(frames, MAX_FRAME))) failures.push(`${what}: delivered frames the server did not send`);
      if (c.mustSucceed && c.stage === 'transport' && frames.length !== c.sent.length) failures.push(`${what}: delivered ${frames.length} of ${c.sent.length} frames`);
      if (n % 50 === 0) await pingOver(healthyServer.connection, 3_000_000 + n);
    }
    console.log(`transport fuzz, client side (seed ${SEED}): ${indices.length} cases ${JSON.stringify(Object.fromEntries([...counts].sort()))}; outcomes ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    await pingOver(healthyServer.connection, 4_000_000);
  }, 300_000);

  it('1 MiB of zeros instead of a handshake reply is HANDSHAKE_FAILED', async () => {
    hostile.next((socket) => writePieces(socket, chunkEvery(new Uint8Array(1024 * 1024), 65_536)));
    await expect(connectSecure({ host: '127.0.0.1', port: hostile.port, serverPublicKey: hostile.key.publicKey, hello: { protocolVersion: 1 }, timeoutMs: CLOSE_MS })).rejects.toMatchObject({
      code: ResultCode.HANDSHAKE_FAILED,
    });
  });

  it('caps a frame size announced beyond reason', async () => {
    hostile.next(async (socket, message1) => {
      const r = responder(hostile.key);
      r.readMessage(message1);
      const frame = encodeFrameBytes({ serial: 0, command: Command.HANDSHAKE, code: ResultCode.OK, payload: encodePayload(HandshakeResponseSchema, { protocolVersion: 1, maxFrameSize: 0xffffffff }) });
      socket.write(handshakeRecord(r.writeMessage(frame)));
    });
    const { connection } = await connectSecure({ host: '127.0.0.1', port: hostile.port, serverPublicKey: hostile.key.publicKey, hello: { protocolVersion: 1 }, timeoutMs: CLOSE_MS });
    expect(connection.maxFrameSize).toBe(MAX_ANNOUNCED_FRAME_SIZE);
    connection.destroy();
  });

  it('reassembles a reply and a record split at every offset', async () => {
    const streamLength = replyAndPush(responder(hostile.key), initiator(hostile.key.publicKey).writeMessage(helloFrame()), 0).length;
    for (let k = 1; k < streamLength; k++) {
      hostile.next(async (socket, message1) => {
        const stream = replyAndPush(responder(hostile.key), message1, k);
        socket.write(stream.subarray(0, k));
        // Two turns: the client reads the first piece before the second is written.
        await turn();
        await turn();
        socket.write(stream.subarray(k));
      });
      const { connection } = await connectSecure({ host: '127.0.0.1', port: hostile.port, serverPublicKey: hostile.key.publicKey, hello: { protocolVersion: 1 }, timeoutMs: CLOSE_MS });
      const [push] = await nextFrames(connection, 1);
      expect([push!.serial, push!.payload[0]], `split at ${k}`).toEqual([7, k & 0xff]);
      connection.destroy();
    }
  });
});

/** The server's reply to `message1` and one sealed PUSH (payload: `tag`), as one stream. */
function replyAndPush(r: ReturnType<typeof responder>, message1: Uint8Array, tag: number): Uint8Array {
  r.readMessage(message1);
  const reply = handshakeRecord(r.writeMessage(welcomeFrame(MAX_FRAME)));
  return concatBytes([reply, ...sealRecords(r.transportKeys().send, encodeFrameBytes({ serial: 7, command: Command.PUSH, code: 0, payload: Uint8Array.of(tag & 0xff) }))]);
}

describe('transport fuzz: the real server process', () => {
  let server: ServerProcess & { stop(): Promise<void> };
  // Starting a server process (tsx compiles it) takes long on a loaded machine.
  beforeAll(async () => {
    server = await startServerProcess();
  }, 180_000);
  afterAll(() => server?.stop());

  it(`survives ${PROCESS_CASES} hostile streams while a logged-in client keeps being served`, async () => {
    const healthy = await TestClient.connect(server);
    await healthy.register('bystander');
    const pinger = keepPinging(async (serial) => {
      const pong = await healthy.call(Command.PING, { sentAt: BigInt(serial) });
      if (pong.sentAt !== BigInt(serial)) throw new Error(`PONG ${pong.sentAt} for PING ${serial}`);
    });
    const notClosed: string[] = [];
    await runCases(PROCESS_CASES, async (n) => {
      const result = await hostileClient(caseRng(3, n), server.port, server.publicKey);
      if (!result.closed) notClosed.push(`seed ${SEED} process case ${n} (${result.stage}/${result.label})`);
    });
    const health = await pinger.stop();
    console.log(`transport fuzz, server process (seed ${SEED}): ${PROCESS_CASES} cases; healthy client: ${health.pongs} PONGs during`);
    expect(notClosed).toEqual([]);
    expect(health.failures).toEqual([]);
    expect(server.child.exitCode, server.stderr()).toBeNull();
    const late = await TestClient.connect(server);
    await late.register('latecomer');
    await late.close();
    await healthy.call(Command.PING, { sentAt: 1n });
    await healthy.close();
    expect(server.stderr()).not.toMatch(/uncaught|TypeError|RangeError/i);
  }, 300_000);
});
