/**
 * The worked handshake example of docs/PROTOCOL.md §2.3, computed with fixed
 * keys, each side with the crypto profile it runs in production (client:
 * portable, server: native), so the two implementations also agree here.
 * protocol-example.test.ts checks that the page shows exactly these bytes;
 * `npx tsx tests/shared/node/protocol-example.ts` prints them.
 */
import { Command, encodeFrame, encodePayload, HandshakeRequestSchema, HandshakeResponseSchema, ResultCode } from '../../../shared/protocol';
import { dhKeyPairFromPrivate, HandshakeState, nativeCrypto, portableCrypto, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from '../../../shared/node/noise';
import { handshakeRecord, sealRecords } from '../../../shared/node/transport/records';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

/** Protobuf varint, for the hand-built Ping payload (independent of how uint64 maps to JS). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

export function protocolExample(): Record<string, string> {
  const serverStaticPrivate = '0101010101010101010101010101010101010101010101010101010101010101';
  const clientEphemeralPrivate = '0202020202020202020202020202020202020202020202020202020202020202';
  const serverEphemeralPrivate = '0303030303030303030303030303030303030303030303030303030303030303';
  const server = dhKeyPairFromPrivate(fromHex(serverStaticPrivate));
  const client = new HandshakeState({
    protocolName: TERN_NOISE_PROTOCOL,
    crypto: portableCrypto,
    initiator: true,
    prologue: TERN_NOISE_PROLOGUE,
    remoteStaticKey: server.publicKey,
    ephemeralKey: dhKeyPairFromPrivate(fromHex(clientEphemeralPrivate)),
  });
  const responder = new HandshakeState({
    protocolName: TERN_NOISE_PROTOCOL,
    crypto: nativeCrypto,
    initiator: false,
    prologue: TERN_NOISE_PROLOGUE,
    staticKey: server,
    ephemeralKey: dhKeyPairFromPrivate(fromHex(serverEphemeralPrivate)),
  });
  const payload1 = encodeFrame({ serial: 0, command: Command.HANDSHAKE, code: 0, payload: encodePayload(HandshakeRequestSchema, { protocolVersion: 1, clientName: 'example' }) });
  const payload2 = encodeFrame({
    serial: 0,
    command: Command.HANDSHAKE,
    code: ResultCode.OK,
    payload: encodePayload(HandshakeResponseSchema, { protocolVersion: 1, maxFrameSize: 1048576, heartbeatIntervalMs: 30000, idleTimeoutMs: 90000 }),
  });
  const record1 = handshakeRecord(client.writeMessage(payload1));
  responder.readMessage(record1.subarray(2));
  const record2 = handshakeRecord(responder.writeMessage(payload2));
  client.readMessage(record2.subarray(2));
  const ping = encodeFrame({ serial: 1, command: Command.PING, code: 0, payload: Uint8Array.from([0x08, ...varint(1700000000000)]) });
  const [record3] = sealRecords(client.transportKeys().send, ping);
  const name = new TextEncoder().encode(TERN_NOISE_PROTOCOL);
  const initialH = new Uint8Array(32);
  initialH.set(name);
  return {
    protocolName: TERN_NOISE_PROTOCOL,
    initialH: hex(initialH),
    serverStaticPrivate,
    serverStaticPublic: hex(server.publicKey),
    clientEphemeralPrivate,
    serverEphemeralPrivate,
    payload1: hex(payload1),
    record1: hex(record1),
    payload2: hex(payload2),
    record2: hex(record2),
    handshakeHash: hex(client.handshakeHash),
    pingFrame: hex(ping),
    record3: hex(record3!),
  };
}

if (process.argv[1]?.endsWith('protocol-example.ts')) {
  for (const [k, v] of Object.entries(protocolExample())) console.log(`${k}: ${v}`);
}
