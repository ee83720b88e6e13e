/**
 * Proves the Noise engine against the cacophony test vectors
 * (tests/fixtures/noise/cacophony.json; see its README): every 25519 vector of every
 * pattern and cipher/hash our engine supports (fundamental, deferred and
 * PSK patterns), with each crypto profile: native (node:crypto, every suite)
 * and portable (the client's: the suites it offers, X25519 from @noble/curves).
 * Handshake messages must match byte for byte, the handshake hash must
 * match, then the transport messages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HandshakeState, nativeCrypto, NoiseError, parseProtocolName, portableCrypto, TERN_NOISE_PROTOCOL, type CipherState, type NoiseCrypto } from '../../../shared/node/noise';

interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_psks?: string[];
  init_static?: string;
  init_ephemeral: string;
  init_remote_static?: string;
  resp_prologue: string;
  resp_psks?: string[];
  resp_static?: string;
  resp_ephemeral?: string;
  resp_remote_static?: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vectorsPath = path.resolve(repoRoot, 'tests/fixtures/noise/cacophony.json');
const allVectors = (JSON.parse(readFileSync(vectorsPath, 'utf8')) as { vectors: Vector[] }).vectors;

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
function keyPair(crypto: NoiseCrypto, s: string | undefined) {
  if (s === undefined) return undefined;
  const privateKey = hex(s);
  return { privateKey, publicKey: crypto.dh.publicKey(privateKey) };
}

/** True when `crypto` offers the vector's cipher and hash. */
function supports(crypto: NoiseCrypto, v: Vector): boolean {
  try {
    parseProtocolName(v.protocol_name, crypto);
    return true;
  } catch (err) {
    if (err instanceof NoiseError) return false;
    throw err;
  }
}

/** 25519 with any of the four hashes and two ciphers: 59 patterns x 8 suites. */
const EXPECTED_MINIMUM = 59 * 8;

const selected = allVectors.filter((v) => v.protocol_name.split('_')[2] === '25519');

function runVector(v: Vector, crypto: NoiseCrypto = nativeCrypto): void {
  const init = new HandshakeState({
    protocolName: v.protocol_name,
    crypto,
    initiator: true,
    prologue: hex(v.init_prologue),
    staticKey: keyPair(crypto, v.init_static),
    remoteStaticKey: v.init_remote_static ? hex(v.init_remote_static) : undefined,
    ephemeralKey: keyPair(crypto, v.init_ephemeral),
    psks: v.init_psks?.map(hex),
  });
  const resp = new HandshakeState({
    protocolName: v.protocol_name,
    crypto,
    initiator: false,
    prologue: hex(v.resp_prologue),
    staticKey: keyPair(crypto, v.resp_static),
    remoteStaticKey: v.resp_remote_static ? hex(v.resp_remote_static) : undefined,
    ephemeralKey: keyPair(crypto, v.resp_ephemeral),
    psks: v.resp_psks?.map(hex),
  });
  const oneWay = init.pattern.oneWay;
  let initSend: CipherState | undefined;
  let initRecv: CipherState | undefined;
  let respSend: CipherState | undefined;
  let respRecv: CipherState | undefined;
  v.messages.forEach((m, i) => {
    const fromInitiator = oneWay || i % 2 === 0;
    const payload = hex(m.payload);
    if (!init.isComplete) {
      const [writer, reader] = fromInitiator ? [init, resp] : [resp, init];
      const ciphertext = writer.writeMessage(payload);
      expect(toHex(ciphertext), `${v.protocol_name} message ${i}`).toBe(m.ciphertext);
      expect(toHex(reader.readMessage(ciphertext))).toBe(m.payload);
      if (init.isComplete) {
        expect(resp.isComplete).toBe(true);
        expect(toHex(init.handshakeHash), `${v.protocol_name} handshake hash`).toBe(v.handshake_hash);
        expect(toHex(resp.handshakeHash)).toBe(v.handshake_hash);
        ({ send: initSend, receive: initRecv } = init.transportKeys());
        ({ send: respSend, receive: respRecv } = resp.transportKeys());
      }
      return;
    }
    const [sender, receiver] = fromInitiator ? [initSend!, respRecv!] : [respSend!, initRecv!];
    const ciphertext = sender.encrypt(payload);
    expect(toHex(ciphertext), `${v.protocol_name} transport message ${i}`).toBe(m.ciphertext);
    expect(toHex(receiver.decrypt(ciphertext))).toBe(m.payload);
  });
  expect(init.isComplete, `${v.protocol_name} completed`).toBe(true);
}

describe('Noise engine against the cacophony vectors', () => {
  it(`checks every 25519 vector (at least ${EXPECTED_MINIMUM})`, () => {
    const checked = new Map<string, number>();
    for (const v of selected) {
      runVector(v);
      const suite = v.protocol_name.split('_').slice(2).join('_');
      checked.set(suite, (checked.get(suite) ?? 0) + 1);
    }
    const total = [...checked.values()].reduce((a, b) => a + b, 0);
    console.log(`Noise vectors checked: ${total} of ${allVectors.length} in the file (all 25519 ones) -- ${[...checked].map(([s, n]) => `${s}: ${n}`).join(', ')}`);
    expect(total).toBeGreaterThanOrEqual(EXPECTED_MINIMUM);
  });

  it('covers every vector of the shipped protocol, with both profiles', () => {
    const shipped = allVectors.filter((v) => v.protocol_name === TERN_NOISE_PROTOCOL);
    expect(shipped.length).toBeGreaterThan(0);
    for (const v of shipped) {
      runVector(v, nativeCrypto);
      runVector(v, portableCrypto);
    }
    console.log(`Noise vectors of ${TERN_NOISE_PROTOCOL}: ${shipped.length}`);
  });

  it('runs every vector the portable (client) profile supports, and it supports exactly AESGCM with SHA-256/512', () => {
    const portable = selected.filter((v) => supports(portableCrypto, v));
    for (const v of portable) runVector(v, portableCrypto);
    const suites = [...new Set(portable.map((v) => v.protocol_name.split('_').slice(2).join('_')))].sort();
    console.log(`Noise vectors checked with the portable profile: ${portable.length} (${suites.join(', ')})`);
    expect(suites).toEqual(['25519_AESGCM_SHA256', '25519_AESGCM_SHA512']);
    expect(portable.length).toBeGreaterThanOrEqual(2 * 59);
    expect(() => runVector(selected.find((v) => v.protocol_name.includes('ChaChaPoly'))!, portableCrypto)).toThrow(/unsupported cipher ChaChaPoly in the portable crypto profile/);
  });

  it('fails a vector whose ciphertext is altered (the check can fail)', () => {
    const v = allVectors.find((x) => x.protocol_name === TERN_NOISE_PROTOCOL)!;
    const first = v.messages[0]!;
    const flipped = first.ciphertext.slice(0, -2) + (first.ciphertext.endsWith('00') ? '01' : '00');
    expect(() => runVector({ ...v, messages: [{ ...first, ciphertext: flipped }, ...v.messages.slice(1)] })).toThrow();
  });
});
