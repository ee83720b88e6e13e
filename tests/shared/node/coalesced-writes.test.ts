/** SecureConnection write coalescing (on for the server role): frames of one event-loop turn share records and socket writes. */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Command, type Frame } from '../../../shared/protocol';
import { MAX_RECORD_PLAINTEXT, MAX_RECORD_SIZE, RECORD_HEADER_SIZE } from '../../../shared/node/transport/records';
import { connectSecure, type SecureConnection } from '../../../shared/node/transport/secure-connection';
import { closeEvent, nextFrames, startLoopback, type Loopback } from './helpers';

let loopback: Loopback | undefined;
const opened: SecureConnection[] = [];

afterEach(async () => {
  for (const c of opened.splice(0)) c.destroy();
  await loopback?.close();
  loopback = undefined;
});

async function pair(coalesceWrites?: boolean): Promise<{ client: SecureConnection; server: SecureConnection }> {
  loopback = await startLoopback();
  const { connection: client } = await connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: {}, coalesceWrites });
  const server = await loopback.accepted[0]!;
  opened.push(client, server);
  return { client, server };
}

/** Counts what a connection hands to its socket (still writing it). */
function watchWrites(connection: SecureConnection): Uint8Array[] {
  const socket = (connection as unknown as { socket: Socket }).socket;
  const original = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
  const writes: Uint8Array[] = [];
  socket.write = ((chunk: Uint8Array) => {
    writes.push(new Uint8Array(chunk));
    return original(chunk);
  }) as typeof socket.write;
  return writes;
}

const ping = (serial: number, payload = Uint8Array.of(serial & 0xff)): Frame => ({ serial, command: Command.PING, code: 0, payload });

/** Record body lengths in a captured write (a write may hold several records). */
function recordLengths(write: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < write.length; ) {
    const length = (write[at]! << 8) | write[at + 1]!;
    out.push(length);
    at += RECORD_HEADER_SIZE + length;
  }
  return out;
}

describe('coalesced writes', () => {
  it('the server seals the frames of one turn into one record and one write, after the turn; the peer gets them all in order', async () => {
    const { client, server } = await pair();
    const writes = watchWrites(server);
    const received = nextFrames(client, 200);
    for (let i = 1; i <= 200; i++) server.send(ping(i));
    expect(writes).toHaveLength(0); // queued until the end of the turn
    const frames = await received;
    expect(frames.map((f) => f.serial)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(writes).toHaveLength(1);
    expect(recordLengths(writes[0]!)).toHaveLength(1);
  });

  it('more than a record of frames in one turn goes out as full records, none above the limit', async () => {
    const { client, server } = await pair();
    const writes = watchWrites(server);
    const payload = new Uint8Array(30_000).map((_, i) => i & 0xff);
    const received = nextFrames(client, 10);
    for (let i = 1; i <= 10; i++) server.send(ping(i, payload));
    const frames = await received;
    expect(frames.map((f) => f.serial)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const f of frames) expect(Buffer.from(f.payload).equals(Buffer.from(payload))).toBe(true);
    const lengths = writes.flatMap(recordLengths);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_RECORD_SIZE);
    // 10 x 30,016 bytes of frames: 5 records' worth, not 10 (one per frame) and not one per write.
    expect(lengths.length).toBe(Math.ceil((10 * 30_016) / MAX_RECORD_PLAINTEXT));
  });

  it('close() right after send() flushes the queued frames before ending', async () => {
    const { client, server } = await pair();
    const received = nextFrames(client, 3);
    const clientClosed = closeEvent(client);
    server.send(ping(1));
    server.send(ping(2));
    server.send(ping(3));
    server.close();
    expect((await received).map((f) => f.serial)).toEqual([1, 2, 3]);
    expect(await clientClosed).toBeUndefined();
  });

  it('destroy() drops what is queued and nothing is written after it', async () => {
    const { client, server } = await pair();
    const writes = watchWrites(server);
    const frames: Frame[] = [];
    client.on('frame', (f) => frames.push(f));
    const clientClosed = closeEvent(client);
    server.send(ping(1));
    server.destroy();
    await clientClosed;
    expect(writes).toHaveLength(0);
    expect(frames).toEqual([]);
  });

  it('the client role writes each frame at once (no coalescing by default)', async () => {
    const { client, server } = await pair();
    const writes = watchWrites(client);
    const received = nextFrames(server, 3);
    client.send(ping(1));
    client.send(ping(2));
    client.send(ping(3));
    expect(writes).toHaveLength(3);
    expect((await received).map((f) => f.serial)).toEqual([1, 2, 3]);
  });

  it('a client that asks for coalescing (the app does) sends the frames of one turn as one record, in order', async () => {
    const { client, server } = await pair(true);
    const writes = watchWrites(client);
    const received = nextFrames(server, 50);
    for (let i = 1; i <= 50; i++) client.send(ping(i));
    expect(writes).toHaveLength(0); // queued until the end of the turn
    expect((await received).map((f) => f.serial)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(writes).toHaveLength(1);
    expect(recordLengths(writes[0]!)).toHaveLength(1);
  });

  it('connections flushing in the same turn each deliver their own bytes (frames are encoded into a buffer all connections share)', async () => {
    loopback = await startLoopback();
    const clients: SecureConnection[] = [];
    for (let i = 0; i < 3; i++) {
      const { connection } = await connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: {} });
      clients.push(connection);
    }
    const servers = await Promise.all(loopback.accepted);
    opened.push(...clients, ...servers);
    // Sizes around a record (65,519 plaintext bytes) and above the shared buffer's 128 KiB cap, per connection a different fill.
    const sizes = [1, 150, 40_000, 65_519 - 16, 65_519, 70_000, 200_000, 3];
    const payloadOf = (c: number, i: number) => new Uint8Array(sizes[i]!).map((_, j) => (j * (c + 3) + i) & 0xff);
    const received = clients.map((client) => nextFrames(client, sizes.length));
    for (let i = 0; i < sizes.length; i++) for (let c = 0; c < servers.length; c++) servers[c]!.send(ping(i + 1, payloadOf(c, i)));
    const got = await Promise.all(received);
    for (let c = 0; c < clients.length; c++) {
      expect(got[c]!.map((f) => f.serial)).toEqual(sizes.map((_, i) => i + 1));
      got[c]!.forEach((f, i) => expect(Buffer.from(f.payload).equals(Buffer.from(payloadOf(c, i)))).toBe(true));
    }
  });
});
