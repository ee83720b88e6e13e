/**
 * Protocol benchmark: frame codec throughput, full Noise NK handshakes, and
 * sealed (ChaChaPoly) record throughput. Single-threaded, in process; each
 * figure is the best of a few timed rounds after a warm-up.
 *   npm run bench -- protocol [--out FILE] [--quick]
 */
import { performance } from 'node:perf_hooks';
import { encodeFrame, FrameDecoder } from '../../shared/protocol';
import { CipherState, ciphers, generateStaticKeyPair, HandshakeState, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from '../../shared/node/noise';
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

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const quick = args.includes('--quick');
  const targetMs = quick ? 200 : 1000;
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
  return {
    frames100B: small,
    frames4KiB: large,
    handshakes: hs,
    sealedChaChaPoly: sealed,
    protocol: TERN_NOISE_PROTOCOL,
    targetMsPerRound: targetMs,
  };
}
