/**
 * Protocol benchmark: frame codec throughput, full Noise NK handshakes (the
 * client's portable crypto and the server's native one), and the per-record
 * cost of sealing and opening with the shipped AEAD and the candidates it was
 * chosen against (docs/PROTOCOL.md section 2.1). Single-threaded, in process;
 * each figure is the best of a few timed rounds after a warm-up, with CPU time
 * per operation beside the rates.
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
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { CipherState, ciphers, encodeKey, generateStaticKeyPair, HandshakeState, nativeCrypto, portableCrypto, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL, type Cipher, type NoiseCrypto } from '../../shared/node/noise';
import { acceptSecure, type SecureConnection } from '../../shared/node/transport/secure-connection';
import { ResultCode } from '../../shared/protocol';
import { MAX_RECORD_PLAINTEXT, RecordOpener, sealRecords } from '../../shared/node/transport/records';

interface Rate {
  perSecond: number;
  iterations: number;
  seconds: number;
  /** CPU time (user + system) per iteration, microseconds: steadier than the rate on a shared machine. */
  cpuMicrosPerIteration: number;
}

/** Runs `body(n)` for about `targetMs`, `rounds` times, and reports the best round (highest rate; lowest CPU per iteration). */
function measure(body: (n: number) => void, batch: number, targetMs: number, rounds = 3): Rate {
  body(batch); // warm-up
  let best: Rate = { perSecond: 0, iterations: 0, seconds: 0, cpuMicrosPerIteration: Number.POSITIVE_INFINITY };
  for (let r = 0; r < rounds; r++) {
    let iterations = 0;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let elapsed = 0;
    while (elapsed < targetMs) {
      body(batch);
      iterations += batch;
      elapsed = performance.now() - start;
    }
    const cpu = process.cpuUsage(cpuStart);
    const cpuMicrosPerIteration = (cpu.user + cpu.system) / iterations;
    const perSecond = iterations / (elapsed / 1000);
    best = {
      perSecond: Math.max(best.perSecond, perSecond),
      iterations: perSecond > best.perSecond ? iterations : best.iterations,
      seconds: perSecond > best.perSecond ? elapsed / 1000 : best.seconds,
      cpuMicrosPerIteration: Math.min(best.cpuMicrosPerIteration, cpuMicrosPerIteration),
    };
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

/** Full NK handshakes, both sides in this thread; `client` is the initiator's profile (the server is always native). */
function handshakes(client: NoiseCrypto, targetMs: number): { perSecond: number; cpuMsPerHandshake: number; note: string } {
  const server = generateStaticKeyPair();
  const hello = new Uint8Array(40);
  const rate = measure((n) => {
    for (let i = 0; i < n; i++) {
      const initiator = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, crypto: client, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
      const responder = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, crypto: nativeCrypto, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey: server });
      responder.readMessage(initiator.writeMessage(hello));
      initiator.readMessage(responder.writeMessage(hello));
    }
  }, 20, targetMs);
  return {
    perSecond: rate.perSecond,
    cpuMsPerHandshake: rate.cpuMicrosPerIteration / 1000,
    note: `client ${client.name} (X25519 from ${client.dh.implementation}), server native; both in one thread: 2 ephemeral key generations + 4 X25519`,
  };
}

/** 96-bit Noise nonce for the @noble candidates (same layout as suite.ts). */
function nobleNonce(n: number, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  if (littleEndian) view.setUint32(4, n, true);
  else view.setUint32(8, n, false);
  return out;
}

/** The record AEAD candidates of docs/PROTOCOL.md section 2.1, behind the engine's Cipher interface. */
function recordCandidates(): { name: string; cipher: Cipher }[] {
  const noble = (name: Cipher['name'], littleEndian: boolean, make: (key: Uint8Array, nonce: Uint8Array) => { encrypt(p: Uint8Array): Uint8Array; decrypt(c: Uint8Array): Uint8Array }): Cipher => ({
    name,
    maxBytesPerKey: Number.POSITIVE_INFINITY,
    encrypt: (key, n, _ad, plaintext, headroom = 0) => {
      const sealed = make(key, nobleNonce(n, littleEndian)).encrypt(plaintext);
      if (headroom === 0) return sealed;
      const out = new Uint8Array(headroom + sealed.length);
      out.set(sealed, headroom);
      return out;
    },
    decrypt: (key, n, _ad, ciphertext) => {
      try {
        return make(key, nobleNonce(n, littleEndian)).decrypt(ciphertext);
      } catch {
        return null;
      }
    },
  });
  return [
    { name: 'node:crypto AES-256-GCM (shipped)', cipher: ciphers.AESGCM },
    { name: 'node:crypto ChaCha20-Poly1305', cipher: ciphers.ChaChaPoly },
    { name: '@noble/ciphers ChaCha20-Poly1305', cipher: noble('ChaChaPoly', true, (k, iv) => chacha20poly1305(k, iv)) },
    { name: '@noble/ciphers AES-256-GCM', cipher: noble('AESGCM', false, (k, iv) => gcm(k, iv)) },
  ];
}

interface RecordCost {
  candidate: string;
  plaintextBytes: number;
  /** CPU time (user + system) per record. */
  sealMicros: number;
  openMicros: number;
  sealMBps: number;
  openMBps: number;
}

/**
 * Per-record seal and open cost of each AEAD candidate, through the record
 * layer (sealRecords / RecordOpener), in CPU microseconds per record. The
 * 0- and 64-byte rows are the fixed cost (for node:crypto: a new cipher
 * object per record); the 65,519-byte row is throughput.
 */
function recordCosts(targetMs: number): RecordCost[] {
  const key = new Uint8Array(32).fill(7);
  const perBatch = 16;
  const out: RecordCost[] = [];
  for (const { name, cipher } of recordCandidates()) {
    for (const size of [0, 64, 1024, 16384, MAX_RECORD_PLAINTEXT]) {
      const chunk = new Uint8Array(size).fill(1);
      // Slow candidates on big records get fewer rounds: the figure is per record either way.
      const budget = name.startsWith('@noble') && size > 1024 ? targetMs / 2 : targetMs;
      const sender = new CipherState(cipher);
      sender.initializeKey(key);
      const seal = measure((n) => {
        for (let i = 0; i < n; i++) sealRecords(sender, chunk);
      }, perBatch, budget, 2);
      // Records sealed under nonces 0..perBatch-1, opened each round by a fresh receiver.
      const source = new CipherState(cipher);
      source.initializeKey(key);
      const records = Array.from({ length: perBatch }, () => sealRecords(source, chunk)[0]!);
      const open = measure(() => {
        const receiver = new CipherState(cipher);
        receiver.initializeKey(key);
        const opener = new RecordOpener(receiver);
        for (const record of records) {
          if (opener.push(record).error) throw new Error(`${name}: open failed`);
        }
      }, perBatch, budget, 2);
      out.push({
        candidate: name,
        plaintextBytes: size,
        sealMicros: seal.cpuMicrosPerIteration,
        openMicros: open.cpuMicrosPerIteration,
        // Bytes per microsecond is MB per second.
        sealMBps: size / seal.cpuMicrosPerIteration,
        openMBps: size / open.cpuMicrosPerIteration,
      });
    }
  }
  return out;
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
  const hsNative = handshakes(nativeCrypto, targetMs);
  const hsPortable = handshakes(portableCrypto, targetMs);
  const records = recordCosts(targetMs);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log('protocol benchmark (one thread)');
  console.log(`  frames, 100 B payload : encode ${fmt(small.encodePerSecond)}/s, decode ${fmt(small.decodePerSecond)}/s, encode+decode ${fmt(small.roundTripPerSecond)}/s`);
  console.log(`  frames, 4 KiB payload : encode ${fmt(large.encodePerSecond)}/s, decode ${fmt(large.decodePerSecond)}/s, encode+decode ${fmt(large.roundTripPerSecond)}/s`);
  for (const hs of [hsNative, hsPortable]) console.log(`  ${TERN_NOISE_PROTOCOL} handshakes: ${fmt(hs.perSecond)}/s, ${hs.cpuMsPerHandshake.toFixed(2)} ms CPU each (${hs.note})`);
  console.log('  records, CPU microseconds per record, seal / open (MB/s of CPU time for the largest):');
  for (const candidate of [...new Set(records.map((r) => r.candidate))]) {
    const rows = records.filter((r) => r.candidate === candidate);
    const cells = rows.map((r) => `${r.plaintextBytes} B ${r.sealMicros.toFixed(1)}/${r.openMicros.toFixed(1)}`);
    const last = rows[rows.length - 1]!;
    console.log(`    ${candidate.padEnd(36)} ${cells.join(', ')}  (${last.sealMBps.toFixed(0)}/${last.openMBps.toFixed(0)} MB/s)`);
  }
  console.log(`  idle connection (server side, ${memory.connections}): heap ${(memory.heapUsedBytesPer / 1024).toFixed(2)} KiB, RSS ${(memory.rssBytesPer / 1024).toFixed(2)} KiB per connection`);
  return {
    frames100B: small,
    frames4KiB: large,
    handshakesNative: hsNative,
    handshakesPortableClient: hsPortable,
    recordCosts: records,
    idleServerConnection: memory,
    protocol: TERN_NOISE_PROTOCOL,
    targetMsPerRound: targetMs,
  };
}
