/**
 * The one load generator of the side-by-side benchmark (tests/bench/peer.ts),
 * a child process pinned to the core the server under test does not use.
 * It drives either broker with the same workload and the same bookkeeping:
 *
 * - `tern`: our protocol over the real transport (Noise handshake, AES-GCM
 *   records, Node's native crypto). Each pair is a sender and a receiver
 *   account, friends; a send is a MESSAGE_SEND frame built from a per-pair
 *   template (only the UUIDv7 client id changes, written in place); a
 *   delivery is the receiver's PUSH of a message event, answered with
 *   PUSH_ACK. Every PUSH (receipts to senders too) is acknowledged, as the
 *   app does.
 * - `mqtt`: hand-written MQTT 3.1.1 on raw sockets (CONNECT, SUBSCRIBE,
 *   PUBLISH QoS 1, PUBACK): publisher i publishes to topic `bench/i`, which
 *   only subscriber i takes (QoS 1), and acknowledges each delivery.
 *
 * A send is acked when the sender hears the broker took it (SendMessageAck,
 * sent once durably stored / PUBACK); a delivery counts when the receiver has
 * it and has acknowledged it. Saturation keeps `window` sends outstanding
 * per sender; the fixed-rate phase schedules sends at `rate` per second over
 * all senders and measures each from its scheduled time (not from when it
 * went out, so a stalled broker cannot hide its backlog) to its ack.
 * Controlled over IPC by peer.ts; nothing here touches the broker's process.
 */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { connect as tcpConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connectSecure, type SecureConnection } from '../../shared/node/transport';
import { decodeKey, nativeCrypto } from '../../shared/node/noise';
import {
  Command,
  ConversationType,
  EmptySchema,
  ErrorDetailSchema,
  FriendRequestAnswerSchema,
  FriendRequestInfoSchema,
  FriendRequestSendSchema,
  LoginResponseSchema,
  PROTOCOL_VERSION,
  RegisterRequestSchema,
  ResultCode,
  SendMessageRequestSchema,
  type Frame,
} from '../../shared/protocol';

export type Broker = { kind: 'tern'; host: string; port: number; key: string } | { kind: 'mqtt'; host: string; port: number };

export type Order =
  | { type: 'setup'; broker: Broker; pairs: number; prefix: string; text: string }
  | { type: 'saturate'; window: number; warmupMs: number; seconds: number }
  | { type: 'fixed-rate'; rate: number; seconds: number }
  | { type: 'idle'; broker: Broker; count: number; concurrency: number }
  | { type: 'exit' };

export type Report =
  | { type: 'ready' }
  | { type: 'setup-done' }
  /** Saturation: the warm-up is over; the parent reads the broker's CPU now. */
  | { type: 'mark' }
  | { type: 'saturated'; acked: number; delivered: number; seconds: number; loadGeneratorCpuSeconds: number }
  | { type: 'fixed-rate-done'; sent: number; acked: number; delivered: number; seconds: number; latenciesMs: number[] }
  | { type: 'idle-connected'; ok: number; failed: number; firstError?: string }
  | { type: 'error'; message: string };

/** One sender/receiver pair, whatever the protocol. */
interface Pair {
  /** Sends one message; `onAck` runs when the broker acknowledges it. */
  send(onAck: () => void): void;
}

let delivered = 0;
let pairs: Pair[] = [];
const held: Array<{ destroy(): void }> = [];

// ------------------------------------------------------------------ tern

/** Requests during setup only (the timed paths below encode by hand). */
function call<I extends DescMessage, O extends DescMessage>(c: SecureConnection, serial: number, command: Command, input: I, init: MessageInitShape<I>, output: O) {
  return new Promise<ReturnType<typeof fromBinary<O>>>((resolve, reject) => {
    const onFrame = (frame: Frame) => {
      if (frame.serial !== serial || frame.command !== command) return;
      c.off('frame', onFrame);
      if (frame.code === ResultCode.OK) resolve(fromBinary(output, frame.payload));
      else reject(new Error(`${Command[command]}: ${ResultCode[frame.code]} ${fromBinary(ErrorDetailSchema, frame.payload).message}`));
    };
    c.on('frame', onFrame);
    c.send({ serial, command, code: 0, payload: toBinary(input, create(input, init)) });
  });
}

async function ternConnection(b: Extract<Broker, { kind: 'tern' }>): Promise<SecureConnection> {
  const { connection } = await connectSecure({
    host: b.host,
    port: b.port,
    serverPublicKey: decodeKey(b.key),
    hello: { protocolVersion: PROTOCOL_VERSION, clientName: 'bench-peer' },
    timeoutMs: 60_000,
    crypto: nativeCrypto,
    // As the app's connector (electron/core/secure-connector.ts): frames of one turn share a record.
    coalesceWrites: true,
  });
  connection.on('close', () => undefined);
  held.push(connection);
  return connection;
}

/** Reads the varint at `offset` (a JS number; the fields read here stay far below 2^53). */
function readVarint(bytes: Uint8Array, offset: number): number {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  return value;
}

/** PushAck { seq } by hand: tag 0x08 then the varint. */
function pushAck(seq: number): Uint8Array {
  const out: number[] = [0x08];
  let v = seq;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * Acknowledges every PUSH, as the app does; counts the ones that carry a
 * message (SyncEvent: seq = field 1 first, then domain, then the oneof: a
 * message is field 10, tag 0x52).
 */
function acknowledgePushes(c: SecureConnection, countDeliveries: boolean): void {
  c.on('frame', (frame) => {
    if (frame.command !== Command.PUSH) return;
    const p = frame.payload;
    if (p[0] !== 0x08) return;
    c.send({ serial: frame.serial, command: Command.PUSH_ACK, code: 0, payload: pushAck(readVarint(p, 1)) });
    if (countDeliveries && carriesMessage(p)) delivered++;
  });
}

/** Skips seq (field 1) and domain (field 2) varints, then looks at the next tag. */
function carriesMessage(p: Uint8Array): boolean {
  let i = 0;
  while (i < p.length && (p[i] === 0x08 || p[i] === 0x10)) {
    i++;
    while (i < p.length && p[i]! >= 0x80) i++;
    i++;
  }
  return p[i] === 0x52;
}

const HEX = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));
let uuidCounter = 0;

/** A UUIDv7 written as ASCII into `out` at `at`: the millisecond clock, version 7, a counter in the random bits, the variant. */
function writeUuidV7(out: Uint8Array, at: number): void {
  const ms = Date.now();
  const counter = uuidCounter++;
  const nibbles: number[] = [];
  for (let i = 11; i >= 0; i--) nibbles.push(Math.floor(ms / 16 ** i) % 16);
  nibbles.push(7);
  // 12 bits of rand_a, the variant with 2 bits, 60 bits of rand_b: 32 hex digits in all.
  for (let i = 2; i >= 0; i--) nibbles.push(Math.floor(counter / 16 ** (i + 15)) % 16);
  nibbles.push(8 | (Math.floor(counter / 16 ** 14) % 4));
  for (let i = 14; i >= 0; i--) nibbles.push(Math.floor(counter / 16 ** i) % 16);
  let n = 0;
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) out[at + i] = 0x2d;
    else out[at + i] = HEX[nibbles[n++]!]!;
  }
}

async function ternSetup(b: Extract<Broker, { kind: 'tern' }>, count: number, prefix: string, text: string): Promise<Pair[]> {
  const placeholder = '00000000-0000-7000-8000-000000000000';
  const out: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const [s, r] = await Promise.all([ternConnection(b), ternConnection(b)]);
    const register = (c: SecureConnection, name: string) =>
      call(c, 1, Command.REGISTER, RegisterRequestSchema, { username: name, password: 'bench-password', nickname: name, device: { deviceId: name, deviceName: 'bench' } }, LoginResponseSchema);
    const [, rl] = await Promise.all([register(s, `${prefix}s${i}`), register(r, `${prefix}r${i}`)]);
    const request = await call(s, 2, Command.FRIEND_REQUEST, FriendRequestSendSchema, { target: { case: 'userId', value: rl.userId } }, FriendRequestInfoSchema);
    await call(r, 2, Command.FRIEND_ACCEPT, FriendRequestAnswerSchema, { requestId: request.requestId }, EmptySchema);
    acknowledgePushes(r, true);
    acknowledgePushes(s, false);
    // The request as the app sends it, encoded once; each send copies it and writes a fresh client id in place.
    const template = toBinary(SendMessageRequestSchema, create(SendMessageRequestSchema, { to: { type: ConversationType.DIRECT, id: rl.userId }, clientMsgId: placeholder, text }));
    const at = indexOf(template, new TextEncoder().encode(placeholder));
    const waiting = new Map<number, () => void>();
    let serial = 100;
    s.on('frame', (frame) => {
      if (frame.command !== Command.MESSAGE_SEND) return;
      const onAck = waiting.get(frame.serial);
      if (!onAck) return;
      waiting.delete(frame.serial);
      if (frame.code !== ResultCode.OK) throw new Error(`send failed: ${ResultCode[frame.code]}`);
      onAck();
    });
    out.push({
      send(onAck) {
        const payload = template.slice();
        writeUuidV7(payload, at);
        serial = serial >= 0x7fff_fff0 ? 100 : serial + 1;
        waiting.set(serial, onAck);
        s.send({ serial, command: Command.MESSAGE_SEND, code: 0, payload });
      },
    });
  }
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('placeholder not found in the encoded request');
}

// ------------------------------------------------------------------ mqtt

/** An MQTT 3.1.1 remaining-length varint. */
function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function utf8Field(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [b.length >> 8, b.length & 0xff, ...b];
}

function mqttConnectPacket(clientId: string): Buffer {
  // Protocol name "MQTT", level 4, flags: clean session; keep-alive 0 (no pings: the broker never times us out).
  const body = [...utf8Field('MQTT'), 4, 0x02, 0, 0, ...utf8Field(clientId)];
  return Buffer.from([0x10, ...remainingLength(body.length), ...body]);
}

/**
 * An MQTT client on a raw socket: a stream parser for the packets the bench
 * receives (CONNACK, SUBACK, PUBLISH, PUBACK) and the few it sends.
 */
class MqttClient {
  private buffered: Buffer = Buffer.alloc(0);
  private onConnack: (() => void) | undefined;
  private onSuback: (() => void) | undefined;
  onPuback: (id: number) => void = () => undefined;
  onPublish: (id: number) => void = () => undefined;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.data(chunk));
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number, clientId: string): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host, port });
      const client = new MqttClient(socket);
      socket.once('error', reject);
      socket.once('connect', () => {
        client.onConnack = () => resolve(client);
        socket.write(mqttConnectPacket(clientId));
      });
    });
  }

  subscribe(topic: string): Promise<void> {
    const body = [0, 1, ...utf8Field(topic), 1];
    return new Promise((resolve) => {
      this.onSuback = resolve;
      this.socket.write(Buffer.from([0x82, ...remainingLength(body.length), ...body]));
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private data(chunk: Buffer): void {
    let buf = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let acks: Buffer | undefined;
    let ackCount = 0;
    for (;;) {
      if (buf.length < 2) break;
      let length = 0;
      let scale = 1;
      let i = 1;
      for (; i < 5 && i < buf.length; i++) {
        length += (buf[i]! & 0x7f) * scale;
        scale *= 128;
        if (buf[i]! < 0x80) break;
      }
      if (i >= buf.length || buf[i]! >= 0x80) break;
      const start = i + 1;
      if (buf.length < start + length) break;
      const type = buf[0]! >> 4;
      if (type === 2) this.onConnack?.();
      else if (type === 9) this.onSuback?.();
      else if (type === 4) this.onPuback(buf.readUInt16BE(start));
      else if (type === 3) {
        // PUBLISH QoS 1: topic, then the packet id to acknowledge.
        const topicLength = buf.readUInt16BE(start);
        const id = buf.readUInt16BE(start + 2 + topicLength);
        acks ??= Buffer.allocUnsafe(4 * 64);
        if (ackCount * 4 === acks.length) {
          this.socket.write(acks);
          acks = Buffer.allocUnsafe(4 * 64);
          ackCount = 0;
        }
        acks.writeUInt32BE((0x40 << 24) | (2 << 16) | id, ackCount * 4);
        ackCount++;
        this.onPublish(id);
      }
      buf = buf.subarray(start + length);
    }
    // One write for every PUBACK this chunk needed, as our client batches its PUSH_ACKs per turn.
    if (acks && ackCount > 0) this.socket.write(acks.subarray(0, ackCount * 4));
    this.buffered = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }
}

async function mqttSetup(b: Extract<Broker, { kind: 'mqtt' }>, count: number, prefix: string, text: string): Promise<Pair[]> {
  const out: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const topic = `bench/${prefix}${i}`;
    const [pub, sub] = await Promise.all([MqttClient.open(b.host, b.port, `${prefix}p${i}`), MqttClient.open(b.host, b.port, `${prefix}s${i}`)]);
    held.push(pub, sub);
    await sub.subscribe(topic);
    sub.onPublish = () => void delivered++;
    const payload = Buffer.from(text, 'utf8');
    const head = [...utf8Field(topic)];
    const length = head.length + 2 + payload.length;
    // The packet once; each send copies it and writes its packet id.
    const template = Buffer.from([0x32, ...remainingLength(length), ...head, 0, 0, ...payload]);
    const idAt = template.length - payload.length - 2;
    const waiting = new Map<number, () => void>();
    let id = 0;
    pub.onPuback = (ackId) => {
      const onAck = waiting.get(ackId);
      if (!onAck) return;
      waiting.delete(ackId);
      onAck();
    };
    out.push({
      send(onAck) {
        id = id >= 65535 ? 1 : id + 1;
        const packet = Buffer.from(template);
        packet.writeUInt16BE(id, idAt);
        waiting.set(id, onAck);
        pub.socket.write(packet);
      },
    });
  }
  return out;
}

// ------------------------------------------------------------------ phases

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `done()` or `ms` passed. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!done() && performance.now() < end) await sleep(5);
}

async function saturate(o: Extract<Order, { type: 'saturate' }>): Promise<void> {
  let acked = 0;
  let outstanding = 0;
  let sends = 0;
  let stop = false;
  const deliveredBefore = delivered;
  const keepGoing = (pair: Pair) => {
    const onAck = () => {
      acked++;
      outstanding--;
      if (!stop) {
        outstanding++;
        sends++;
        pair.send(onAck);
      }
    };
    return onAck;
  };
  for (const pair of pairs) {
    const onAck = keepGoing(pair);
    for (let w = 0; w < o.window; w++) {
      outstanding++;
      sends++;
      pair.send(onAck);
    }
  }
  await sleep(o.warmupMs);
  const ackedAtMark = acked;
  const deliveredAtMark = delivered;
  process.send!({ type: 'mark' } satisfies Report);
  const cpuAtMark = process.cpuUsage();
  const started = performance.now();
  await sleep(o.seconds * 1000);
  stop = true;
  // Let what is in flight land, so every counted send was also delivered.
  await until(() => outstanding === 0 && delivered - deliveredBefore >= sends, 30_000);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtMark);
  process.send!({ type: 'saturated', acked: acked - ackedAtMark, delivered: delivered - deliveredAtMark, seconds, loadGeneratorCpuSeconds: (cpu.user + cpu.system) / 1e6 } satisfies Report);
}

async function fixedRate(o: Extract<Order, { type: 'fixed-rate' }>): Promise<void> {
  const latencies: number[] = [];
  const deliveredBefore = delivered;
  let sent = 0;
  let acked = 0;
  const started = performance.now();
  const end = started + o.seconds * 1000;
  const interval = 1000 / o.rate;
  // Each send is scheduled at started + k * interval; a late tick sends what it owes, measured from the schedule.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < o.rate * o.seconds && started + sent * interval <= now) {
        const scheduled = started + sent * interval;
        const pair = pairs[sent % pairs.length]!;
        sent++;
        pair.send(() => {
          acked++;
          latencies.push(performance.now() - scheduled);
        });
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await until(() => acked >= sent, 30_000);
  await until(() => delivered - deliveredBefore >= sent, 5_000);
  process.send!({ type: 'fixed-rate-done', sent, acked, delivered: delivered - deliveredBefore, seconds: (performance.now() - started) / 1000, latenciesMs: latencies } satisfies Report);
}

/** Idle connections: ours with the handshake done, MQTT with CONNACK received. */
async function idle(o: Extract<Order, { type: 'idle' }>): Promise<void> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const b = o.broker;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.count) {
        const i = next++;
        try {
          if (b.kind === 'tern') await ternConnection(b);
          else held.push(await MqttClient.open(b.host, b.port, `idle${process.pid}-${i}`));
          ok++;
        } catch (err) {
          failed++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  process.send!({ type: 'idle-connected', ok, failed, firstError } satisfies Report);
}

process.on('message', (order: Order) => {
  const run = async () => {
    switch (order.type) {
      case 'setup':
        pairs = order.broker.kind === 'tern' ? await ternSetup(order.broker, order.pairs, order.prefix, order.text) : await mqttSetup(order.broker, order.pairs, order.prefix, order.text);
        process.send!({ type: 'setup-done' } satisfies Report);
        return;
      case 'saturate':
        return saturate(order);
      case 'fixed-rate':
        return fixedRate(order);
      case 'idle':
        return idle(order);
      case 'exit':
        for (const c of held) c.destroy();
        process.exit(0);
    }
  };
  run().catch((err: unknown) => process.send!({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Report));
});
process.send!({ type: 'ready' } satisfies Report);
