/**
 * Hostile peers for the transport fuzz (transport-fuzz.test.ts): byte streams
 * that a client could send a server before, during and after the handshake,
 * and that a server could send a client, written over real loopback TCP in
 * chosen chunkings.
 *
 * Writing one chunk per turn of the event loop (setImmediate between writes)
 * makes the receiver see each chunk as its own 'data' event when both ends
 * live in this process: the kernel has the chunk before the receiver's next
 * poll, and nothing coalesces it with the next one.
 */
import { connect, type Socket } from 'node:net';
import { Command, encodeFrame, encodePayload, HandshakeRequestSchema, HandshakeResponseSchema, ResultCode, type Frame } from '../../../shared/protocol';
import type { CipherState} from '../../../shared/node/noise';
import { HandshakeState, nativeCrypto, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL, type StaticKeyPair } from '../../../shared/node/noise';
import { handshakeRecord, MAX_RECORD_SIZE, RecordReader } from '../../../shared/node/transport/records';
import { concatBytes, encodeStream, mutate, randomFrames, sealAtRandomCuts, type Mutation, type Rng } from '../support/fuzz';

export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Cuts `bytes` into pieces: one piece, or random sizes up to a random maximum (1 byte .. 70 KB). */
export function chunking(rng: Rng, bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) return [];
  if (rng.next() < 0.2) return [bytes];
  const max = rng.pick([1, 2, 7, 64, 1500, 70_000]);
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const size = 1 + rng.int(max);
    out.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return out;
}

/** Writes `pieces` one per turn of the event loop; stops early if the socket was closed. */
export async function writePieces(socket: Socket, pieces: Uint8Array[]): Promise<void> {
  for (const piece of pieces) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(piece);
    await turn();
  }
}

/** Resolves when `socket` has closed, or with false after `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Everything a hostile peer receives goes into a RecordReader by a listener
 * attached once per socket: nothing is lost between reads, and the socket is
 * drained, so the peer's FIN is seen and 'close' fires.
 */
const inboxes = new WeakMap<Socket, { reader: RecordReader; wake: (() => void) | undefined }>();

function inbox(socket: Socket): { reader: RecordReader; wake: (() => void) | undefined } {
  let box = inboxes.get(socket);
  if (!box) {
    const created = { reader: new RecordReader(), wake: undefined as (() => void) | undefined };
    socket.on('data', (chunk: Uint8Array) => {
      created.reader.append(chunk);
      created.wake?.();
    });
    socket.on('close', () => created.wake?.());
    inboxes.set(socket, created);
    box = created;
  }
  return box;
}

/** Starts draining what the peer sends (so its FIN is seen) without reading records. */
export function drain(socket: Socket): void {
  inbox(socket);
}

/** The next record body the peer sent on `socket`, or undefined when it closes first or after `ms`. */
export async function readRecord(socket: Socket, ms = 5000): Promise<Uint8Array | undefined> {
  const box = inbox(socket);
  const deadline = Date.now() + ms;
  for (;;) {
    const record = box.reader.next();
    if (record) return record;
    if (socket.destroyed || Date.now() > deadline) return undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      box.wake = () => {
        clearTimeout(timer);
        box.wake = undefined;
        resolve();
      };
    });
  }
}

export async function openSocket(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  // The peer may reset us while we write: that is an expected end here.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('could not connect')));
  });
  return socket;
}

export function helloFrame(): Uint8Array {
  return encodeFrame({ serial: 0, command: Command.HANDSHAKE, code: ResultCode.OK, payload: encodePayload(HandshakeRequestSchema, { protocolVersion: 1, clientName: 'fuzz' }) });
}

export function welcomeFrame(maxFrameSize: number): Uint8Array {
  return encodeFrame({ serial: 0, command: Command.HANDSHAKE, code: ResultCode.OK, payload: encodePayload(HandshakeResponseSchema, { protocolVersion: 1, maxFrameSize }) });
}

/** An honest initiator: message 1 now, keys once message 2 is read. Native crypto (this is the fuzzer, not the app). */
export function initiator(serverKey: Uint8Array): HandshakeState {
  return new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, crypto: nativeCrypto, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: serverKey });
}

export function responder(staticKey: StaticKeyPair): HandshakeState {
  return new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, crypto: nativeCrypto, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey });
}

/** The kinds of stream a peer can send where a handshake message belongs. */
export type PreHandshakeKind = 'random' | 'random-long' | 'zeros' | 'empty-records' | 'garbage-record' | 'long-header';

/** A stream that is not a handshake message: garbage, runs of zeros, empty records, records of garbage, a header promising more than comes. */
export function preHandshakeStream(rng: Rng): { kind: PreHandshakeKind; bytes: Uint8Array } {
  const kind = rng.pick<PreHandshakeKind>(['random', 'random-long', 'zeros', 'zeros', 'empty-records', 'garbage-record', 'long-header']);
  switch (kind) {
    case 'random':
      return { kind, bytes: rng.bytes(1 + rng.int(300)) };
    case 'random-long':
      return { kind, bytes: rng.bytes(1 + rng.int(70_000)) };
    case 'zeros':
      return { kind, bytes: new Uint8Array(1 + rng.int(rng.pick([3, 100, 5000, 100_000]))) };
    case 'empty-records': {
      const tail = rng.next() < 0.5 ? rng.bytes(rng.int(50)) : new Uint8Array(0);
      return { kind, bytes: concatBytes([new Uint8Array(2 * (1 + rng.int(2000))), tail]) };
    }
    case 'garbage-record': {
      const parts: Uint8Array[] = [];
      for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
        const length = rng.pick([0, 1, 31, 32, 47, 48, 49, 75, 200, 1 + rng.int(400)]);
        parts.push(Uint8Array.of(length >>> 8, length & 0xff), rng.bytes(length));
      }
      return { kind, bytes: concatBytes(parts) };
    }
    case 'long-header':
      // A length the peer never fulfils before it ends (or fulfils with garbage).
      return { kind, bytes: concatBytes([Uint8Array.of(0xff, 0xff), rng.bytes(rng.int(rng.next() < 0.2 ? MAX_RECORD_SIZE + 10 : 500))]) };
  }
}

/** What follows a completed handshake: a mutated sealed stream, or plain garbage where records belong. */
export function transportTail(rng: Rng, send: CipherState, maxFrameSize: number): { mutation: Mutation | 'zeros' | 'empty-record' | 'tag-only'; frames: Frame[]; bytes: Uint8Array } {
  const roll = rng.next();
  if (roll < 0.1) return { mutation: 'zeros', frames: [], bytes: new Uint8Array(1 + rng.int(20_000)) };
  if (roll < 0.15) return { mutation: 'empty-record', frames: [], bytes: Uint8Array.of(0, 0) };
  if (roll < 0.2) return { mutation: 'tag-only', frames: [], bytes: concatBytes([Uint8Array.of(0, 16), rng.bytes(16)]) };
  const frames = randomFrames(rng, maxFrameSize);
  const { stream, recordOffsets } = sealAtRandomCuts(rng, send, encodeStream(frames, maxFrameSize));
  const { bytes, mutation } = mutate(rng, stream, MAX_RECORD_SIZE, recordOffsets);
  return { mutation, frames, bytes };
}

/** Encodes frames as the sender did, to compare what a receiver delivered with what was sent. */
export function frameBytes(frames: Frame[], maxFrameSize: number): string {
  return Buffer.from(encodeStream(frames, maxFrameSize)).toString('hex');
}

export { handshakeRecord };
