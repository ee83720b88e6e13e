/**
 * Start-up self-check of the crypto a process is about to use: known-answer
 * tests for each primitive of the protocol, then one full handshake and a
 * sealed record in memory. The client core and the Electron main process run
 * it before anything connects, so a runtime that lacks a primitive (the
 * ChaChaPoly-on-BoringSSL failure of the first version) stops at once with a
 * message naming what is missing, instead of every connection failing later.
 *
 * Costs a few milliseconds (mostly the two X25519 operations in pure
 * JavaScript); `assertTransportCrypto` runs it once per process.
 */
import { randomBytes } from 'node:crypto';
import { portableCrypto, parseProtocolName, type NoiseCrypto } from './crypto-profile';
import { HandshakeState } from './handshake-state';
import type { Cipher, Hash } from './suite';
import { TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from './tern';

export interface CryptoCheck {
  /** What was checked, in words a user can report: 'AES-256-GCM', 'X25519', ... */
  primitive: string;
  ok: boolean;
  /** Why it failed (the runtime's own error message, or a wrong answer). */
  error?: string;
}

export interface CryptoReport {
  ok: boolean;
  profile: NoiseCrypto['name'];
  protocol: string;
  checks: CryptoCheck[];
  /** The primitives that failed, in check order. */
  missing: string[];
}

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const equal = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Known answers from the primitives' own specifications. */
const KAT = {
  // FIPS 180-2 appendix B.1.
  sha256Abc: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  // RFC 4231 test case 2.
  hmacSha256Jefe: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  // McGrew & Viega, "The GCM mode of operation", test case 14: zero key, zero 96-bit IV, one zero block.
  aesGcmCiphertext: 'cea7403d4d606b6e074ec5d3baf39d18',
  aesGcmTag: 'd0d1c8a799996bf0265b98b5d48ab919',
  // RFC 7748 section 6.1.
  x25519AlicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  x25519AlicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  x25519BobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  x25519Shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

function run(primitive: string, body: () => void): CryptoCheck {
  try {
    body();
    return { primitive, ok: true };
  } catch (err) {
    return { primitive, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function expectBytes(actual: Uint8Array, expected: string, what: string): void {
  if (!equal(actual, hex(expected))) throw new Error(`${what}: wrong answer`);
}

function checkCipher(cipher: Cipher): void {
  if (cipher.name !== 'AESGCM') {
    // Only the shipped cipher has a known answer here; others get a round trip and a tamper check.
    const key = randomBytes(32);
    const sealed = cipher.encrypt(key, 1, ascii('ad'), ascii('self-check'));
    if (cipher.decrypt(key, 1, ascii('ad'), sealed) === null) throw new Error(`${cipher.name}: round trip failed`);
    sealed[0]! ^= 1;
    if (cipher.decrypt(key, 1, ascii('ad'), sealed) !== null) throw new Error(`${cipher.name}: accepted a tampered message`);
    return;
  }
  const key = new Uint8Array(32);
  const sealed = cipher.encrypt(key, 0, new Uint8Array(0), new Uint8Array(16));
  expectBytes(sealed, KAT.aesGcmCiphertext + KAT.aesGcmTag, 'AES-256-GCM');
  const opened = cipher.decrypt(key, 0, new Uint8Array(0), sealed);
  if (opened === null || !equal(opened, new Uint8Array(16))) throw new Error('AES-256-GCM: could not open its own output');
  sealed[20]! ^= 1;
  if (cipher.decrypt(key, 0, new Uint8Array(0), sealed) !== null) throw new Error('AES-256-GCM: accepted a tampered message');
}

function checkHash(hash: Hash): void {
  if (hash.name !== 'SHA256') {
    if (hash.hash(ascii('abc')).length !== hash.hashLen) throw new Error(`${hash.name}: wrong output length`);
    return;
  }
  expectBytes(hash.hash(ascii('abc')), KAT.sha256Abc, 'SHA-256');
}

const CIPHER_LABEL: Record<Cipher['name'], string> = { AESGCM: 'AES-256-GCM', ChaChaPoly: 'ChaCha20-Poly1305' };
const HASH_LABEL: Record<Hash['name'], string> = { SHA256: 'SHA-256', SHA512: 'SHA-512', BLAKE2s: 'BLAKE2s', BLAKE2b: 'BLAKE2b' };

/** Checks every primitive `protocolName` needs, as `crypto` implements them. Never throws. */
export function checkCrypto(crypto: NoiseCrypto = portableCrypto, protocolName: string = TERN_NOISE_PROTOCOL): CryptoReport {
  const checks: CryptoCheck[] = [];
  checks.push(
    run('random bytes', () => {
      const a = randomBytes(32);
      const b = randomBytes(32);
      if (a.length !== 32 || a.equals(b)) throw new Error('randomBytes returned repeated output');
    }),
  );
  let protocol: ReturnType<typeof parseProtocolName> | undefined;
  const parsed = run(`the ${protocolName.split('_').slice(2).join(' ')} suite`, () => {
    protocol = parseProtocolName(protocolName, crypto);
  });
  if (!parsed.ok) checks.push(parsed);
  if (protocol) {
    const { dh, cipher, hash } = protocol;
    checks.push(
      run('X25519', () => {
        expectBytes(dh.publicKey(hex(KAT.x25519AlicePrivate)), KAT.x25519AlicePublic, 'X25519 public key');
        const alice = { privateKey: hex(KAT.x25519AlicePrivate), publicKey: hex(KAT.x25519AlicePublic) };
        expectBytes(dh.dh(dh.keyPair(alice), hex(KAT.x25519BobPublic)), KAT.x25519Shared, 'X25519 shared secret');
        const fresh = dh.generateKeyPair();
        if (fresh.publicKey.length !== 32 || fresh.privateKey.length !== 32) throw new Error('X25519 key generation: wrong key length');
      }),
      run(HASH_LABEL[hash.name], () => checkHash(hash)),
      run(`HMAC-${HASH_LABEL[hash.name]}`, () => {
        if (hash.name === 'SHA256') expectBytes(hash.hmac(ascii('Jefe'), ascii('what do ya want for nothing?')), KAT.hmacSha256Jefe, 'HMAC-SHA-256');
        else if (hash.hmac(ascii('k'), ascii('m')).length !== hash.hashLen) throw new Error('HMAC: wrong output length');
      }),
      run(CIPHER_LABEL[cipher.name], () => checkCipher(cipher)),
    );
    checks.push(
      run('Noise handshake', () => {
        const server = dh.generateKeyPair();
        const client = new HandshakeState({ protocolName, crypto, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
        const responder = new HandshakeState({ protocolName, crypto, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey: server });
        responder.readMessage(client.writeMessage(ascii('hello')));
        client.readMessage(responder.writeMessage(ascii('welcome')));
        if (!equal(client.handshakeHash, responder.handshakeHash)) throw new Error('the two sides disagree on the handshake hash');
        const opened = responder.transportKeys().receive.decrypt(client.transportKeys().send.encrypt(ascii('record')));
        if (!equal(opened, ascii('record'))) throw new Error('a transport record did not round-trip');
      }),
    );
  }
  const missing = checks.filter((c) => !c.ok).map((c) => c.primitive);
  return { ok: missing.length === 0, profile: crypto.name, protocol: protocolName, checks, missing };
}

/** One line for logs and error messages: what failed and why. */
export function describeCryptoFailure(report: CryptoReport): string {
  const failures = report.checks.filter((c) => !c.ok).map((c) => `${c.primitive} (${c.error ?? 'failed'})`);
  return `this runtime lacks crypto the ${report.protocol} transport needs (${report.profile} profile): ${failures.join('; ')}`;
}

/** Thrown by assertTransportCrypto; `missing` names the primitives for the user-facing message. */
export class CryptoUnavailableError extends Error {
  override readonly name = 'CryptoUnavailableError';
  constructor(readonly report: CryptoReport) {
    super(describeCryptoFailure(report));
  }

  get missing(): string[] {
    return this.report.missing;
  }
}

let passed = false;

/**
 * Checks the client's transport crypto (portable profile, the shipped
 * protocol) once per process; throws CryptoUnavailableError if anything is
 * missing. Later calls after a success return at once.
 */
export function assertTransportCrypto(): void {
  if (passed) return;
  const report = checkCrypto(portableCrypto, TERN_NOISE_PROTOCOL);
  if (!report.ok) throw new CryptoUnavailableError(report);
  passed = true;
}
