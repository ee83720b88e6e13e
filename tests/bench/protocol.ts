/**
 * Protocol benchmark: frame codec throughput, full Noise NK handshakes, and
 * sealed (ChaChaPoly) record throughput. Single-threaded, in process; each
 * figure is the best of a few timed rounds after a warm-up.
 * Also: heap and RSS per idle accepted connection (clients in a child process).
 *   npm run bench -- protocol [--out FILE] [--quick]
 */
import { fork } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { encodeFrame, FrameDecoder } from '../../shared/protocol';
import { CipherState, ciphers, encodeKey, generateStaticKeyPair, HandshakeState, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from '../../shared/node/noise';
import { acceptSecure, type SecureConnection } from '../../shared/node/transport/secure-connection';
import { ResultCode } from '../../shared/protocol';
import { MAX_RECORD_PLAINTEXT, RecordOpener, sealRecords } from '../../shared/node/transport/records';

interface Rate {
  perSecond: number;
  iterations: number;
  seconds: number;
}

/** Runs `body(n)` for about `targetMs`, `rounds` times, and reports the best rate. */
function measure(body: (n: number) => void, batch: number, targetMs: number, rounds = 3): Rate {
  body(batch); // warm-up
  let best: Rate = { perSecond: 0, iterations: 0, seconds: 0 };
  for (let r = 0; r < rounds; r++) {
    let iterations = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < targetMs) {
      body(batch);
      iterations += batch;
      elapsed = performance.now() - start;
    }
    const rate = { perSecond: iterations / (elapsed / 1000), iterations, seconds: elapsed / 1000 };
    if (rate.perSecond > best.perSecond) best = rate;
  }
  return best;
}

function frameCodec(payloadSize: number, targetMs: number): { encodePerSecond: number; decodePerSecond: number; roundTripPerSecond: number } {
  const payload = new Uint8Array(payloadSize).fill(0x5a);
  const frame = { serial: 1, command: 20, code: 0, payload };
  const encoded = encodeFrame(frame);
  // A stream of 64 frames, decoded from 1400-byte chunks (a TCP segment's worth), as a socket would deliver them.
  const stream = new Uint8Array(encoded.length * 64);
  for (let i = 0; i < 64; i++) stream.set(encoded, i * encoded.length);
  const segments: Uint8Array[] = [];
  for (let o = 0; o < stream.length; o += 1400) segments.push(stream.subarray(o, o + 1400));

  const encode = measure((n) => {
    for (let i = 0; i < n; i++) encodeFrame(frame);
  }, 1000, targetMs);
  const decode = measure((n) => {
    for (let i = 0; i < n; i += 64) {
      const decoder = new FrameDecoder();
      let got = 0;
      for (const s of segments) got += decoder.push(s).frames.length;
      if (got !== 64) throw new Error('decode lost frames');
    }
  }, 6400, targetMs);
  const roundTrip = measure((n) => {
    const decoder = new FrameDecoder();
    for (let i = 0; i < n; i++) decoder.push(encodeFrame(frame));
  }, 1000, targetMs);
  return { encodePerSecond: encode.perSecond, decodePerSecond: decode.perSecond, roundTripPerSecond: roundTrip.perSecond };
}

function handshakes(targetMs: number): { perSecond: number; note: string } {
  const server = generateStaticKeyPair();
  const hello = new Uint8Array(40);
  const rate = measure((n) => {
    for (let i = 0; i < n; i++) {
      const client = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
      const responder = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey: server });
      responder.readMessage(client.writeMessage(hello));
      client.readMessage(responder.writeMessage(hello));
    }
  }, 20, targetMs);
  return { perSecond: rate.perSecond, note: 'both sides in one thread: 2 ephemeral key generations + 4 X25519 per handshake' };
}

function sealing(targetMs: number): { sealMBps: number; openMBps: number; recordSize: number } {
  const key = new Uint8Array(32).fill(7);
  const chunk = new Uint8Array(MAX_RECORD_PLAINTEXT).fill(1);
  const perBatch = 16;
  const sender = new CipherState(ciphers.ChaChaPoly);
  sender.initializeKey(key);
  const seal = measure((n) => {
    for (let i = 0; i < n; i++) sealRecords(sender, chunk);
  }, perBatch, targetMs);
  // Records sealed under nonces 0..perBatch-1, opened each round by a fresh receiver.
  const source = new CipherState(ciphers.ChaChaPoly);
  source.initializeKey(key);
  const records = Array.from({ length: perBatch }, () => sealRecords(source, chunk)[0]!);
  const open = measure(() => {
    const receiver = new CipherState(ciphers.ChaChaPoly);
    receiver.initializeKey(key);
    const opener = new RecordOpener(receiver);
    for (const record of records) {
      if (opener.push(record).error) throw new Error('open failed');
    }
  }, perBatch, targetMs);
  const mb = MAX_RECORD_PLAINTEXT / 1e6;
  return { sealMBps: seal.perSecond * mb, openMBps: open.perSecond * mb, recordSize: MAX_RECORD_PLAINTEXT };
}

/**
 * Memory of idle server-side secure connections: N clients in a child
 * process connect and go quiet; the parent's heap and RSS growth, divided by
 * N, is the cost of one accepted SecureConnection (socket included).
 */
async function idleConnectionMemory(count: number): Promise<{ connections: number; heapUsedBytesPer: number; rssBytesPer: number }> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const staticKey = generateStaticKeyPair();
  const connections: SecureConnection[] = [];
  const server = createServer((socket) => {
    acceptSecure(socket, { staticKey, onHello: () => ({ code: ResultCode.OK }) }).then(
      (c) => {
        c.on('frame', () => undefined);
        c.on('close', () => undefined);
        connections.push(c);
      },
      () => undefined,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gc();
  const before = process.memoryUsage();
  const script = fileURLToPath(new URL('./protocol-clients.ts', import.meta.url));
  const child = fork(script, [String((server.address() as AddressInfo).port), encodeKey(staticKey.publicKey), String(count)], { execArgv: ['--import', 'tsx'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`client process exited with ${code}`)));
    });
    while (connections.length < count) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    gc();
    const after = process.memoryUsage();
    return { connections: count, heapUsedBytesPer: (after.heapUsed - before.heapUsed) / count, rssBytesPer: (after.rss - before.rss) / count };
  } finally {
    child.kill();
    for (const c of connections) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const targetMs = quick ? 200 : 1000;
  // First, while the heap is fresh, so RSS growth is the connections' own.
  const memory = await idleConnectionMemory(quick ? 1000 : 5000);
  const small = frameCodec(100, targetMs);
  const large = frameCodec(4096, targetMs);
  const hs = handshakes(targetMs);
  const sealed = sealing(targetMs);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log('protocol benchmark (one thread)');
  console.log(`  frames, 100 B payload : encode ${fmt(small.encodePerSecond)}/s, decode ${fmt(small.decodePerSecond)}/s, encode+decode ${fmt(small.roundTripPerSecond)}/s`);
  console.log(`  frames, 4 KiB payload : encode ${fmt(large.encodePerSecond)}/s, decode ${fmt(large.decodePerSecond)}/s, encode+decode ${fmt(large.roundTripPerSecond)}/s`);
  console.log(`  Noise NK handshakes   : ${fmt(hs.perSecond)}/s (${hs.note})`);
  console.log(`  ChaChaPoly records    : seal ${sealed.sealMBps.toFixed(0)} MB/s, open ${sealed.openMBps.toFixed(0)} MB/s (${sealed.recordSize}-byte records)`);
  console.log(`  idle connection (server side, ${memory.connections}): heap ${(memory.heapUsedBytesPer / 1024).toFixed(2)} KiB, RSS ${(memory.rssBytesPer / 1024).toFixed(2)} KiB per connection`);
  return {
    frames100B: small,
    frames4KiB: large,
    handshakes: hs,
    sealedChaChaPoly: sealed,
    idleServerConnection: memory,
    protocol: TERN_NOISE_PROTOCOL,
    targetMsPerRound: targetMs,
  };
}
