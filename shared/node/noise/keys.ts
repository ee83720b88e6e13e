/**
 * X25519 key handling with Node's own crypto (OpenSSL): the server's
 * implementation (`nodeX25519`). Electron's BoringSSL build is not relied on
 * for X25519 key objects; the client uses `portableX25519` (x25519-portable.ts).
 *
 * Keys travel as raw 32-byte strings (as the Noise spec and the vectors
 * have them). Node wants KeyObjects: a raw private key is wrapped in PKCS#8
 * DER (fixed X25519 prefix below), done once per static key and kept in a
 * `DhKeyPair`. Public keys, imported for every handshake, go through JWK,
 * which Node parses about 15x faster than SPKI DER (7 vs 105 us here), and
 * raw keys are read back through JWK export for the same reason.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { checkLength, DH_LEN, type DhFunction, type StaticKeyPair } from './dh';

export { DH_LEN, type DhFunction, type StaticKeyPair } from './dh';

/** A key pair with the private key already parsed for `diffieHellman`. */
export interface DhKeyPair extends StaticKeyPair {
  readonly handle: KeyObject;
}

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export function privateKeyObject(privateKey: Uint8Array): KeyObject {
  checkLength(privateKey, 'X25519 private key');
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  checkLength(publicKey, 'X25519 public key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: base64url(publicKey) }, format: 'jwk' });
}

/** The same key through SPKI DER: slower, kept for tests that cross-check the JWK path. */
export function publicKeyObjectFromDer(publicKey: Uint8Array): KeyObject {
  checkLength(publicKey, 'X25519 public key');
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}

function jwkField(key: KeyObject, field: 'x' | 'd'): Uint8Array {
  return fromBase64url(key.export({ format: 'jwk' })[field], field);
}

function rawPublicKey(key: KeyObject): Uint8Array {
  return jwkField(key, 'x');
}

/** Builds a parsed key pair from a raw private key (the public key is derived). */
export function dhKeyPairFromPrivate(privateKey: Uint8Array): DhKeyPair {
  const handle = privateKeyObject(privateKey);
  return { publicKey: rawPublicKey(createPublicKey(handle)), privateKey: new Uint8Array(privateKey), handle };
}

/**
 * A fresh random key pair (ephemeral keys, new server identities). The raw
 * keys come out of the generation itself (JWK encoding), and the handle is
 * imported from them. Exporting the KeyObject that `generateKeyPairSync`
 * returns instead deadlocks Node 20 for good, now and then: the export holds
 * the key's mutex and allocates, the allocation runs a GC, and the GC
 * destroys the finished generation job, whose destructor takes the same
 * mutex (a server or load generator then hangs at 0% CPU;
 * tests/shared/node/keygen-deadlock.test.ts reproduces it).
 */
export function generateDhKeyPair(): DhKeyPair {
  // (Node's typings lack the JWK encoding for x25519; Node has it.)
  const generate = generateKeyPairSync as unknown as (type: 'x25519', options: { publicKeyEncoding: { format: 'jwk' }; privateKeyEncoding: { format: 'jwk' } }) => { privateKey: JsonWebKey };
  const { privateKey: jwk } = generate('x25519', { publicKeyEncoding: { format: 'jwk' }, privateKeyEncoding: { format: 'jwk' } });
  return { publicKey: fromBase64url(jwk.x, 'x'), privateKey: fromBase64url(jwk.d, 'd'), handle: createPrivateKey({ key: jwk, format: 'jwk' }) };
}

function fromBase64url(value: unknown, field: 'x' | 'd'): Uint8Array {
  if (typeof value !== 'string') throw new Error(`X25519 key has no JWK field ${field}`);
  const raw = new Uint8Array(Buffer.from(value, 'base64url'));
  checkLength(raw, `X25519 key field ${field}`);
  return raw;
}

const parsed = new WeakMap<StaticKeyPair, DhKeyPair>();

/** The parsed form of a static key pair, cached per object. Checks that the public key matches. */
export function toDhKeyPair(pair: StaticKeyPair): DhKeyPair {
  if ('handle' in pair) return pair as DhKeyPair;
  let dh = parsed.get(pair);
  if (!dh) {
    dh = dhKeyPairFromPrivate(pair.privateKey);
    checkLength(pair.publicKey, 'X25519 public key');
    if (!Buffer.from(dh.publicKey).equals(pair.publicKey)) {
      throw new Error('static key pair: the public key does not belong to the private key');
    }
    parsed.set(pair, dh);
  }
  return dh;
}

/**
 * X25519(private, public). Node rejects an all-zero shared secret (a
 * low-order public key), which we let surface as an error: the handshake
 * then fails, which is what such a key deserves.
 */
export function dh(pair: DhKeyPair, publicKey: Uint8Array): Uint8Array {
  return diffieHellman({ privateKey: pair.handle, publicKey: publicKeyObject(publicKey) });
}

/** X25519 through node:crypto KeyObjects (OpenSSL). Key pairs it is given are parsed once and cached. */
export const nodeX25519: DhFunction = {
  implementation: 'node:crypto',
  generateKeyPair: generateDhKeyPair,
  publicKey: (privateKey) => dhKeyPairFromPrivate(privateKey).publicKey,
  keyPair: toDhKeyPair,
  dh: (pair, publicKey) => dh(toDhKeyPair(pair), publicKey),
};

export function generateStaticKeyPair(): StaticKeyPair {
  const { publicKey, privateKey } = generateDhKeyPair();
  return { publicKey, privateKey };
}

/** Standard base64 of a raw key. */
export function encodeKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
}

/** Parses base64 (standard or URL-safe, padding optional) into a 32-byte key; throws a clear error otherwise. */
export function decodeKey(text: string): Uint8Array {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    throw new Error('key is not base64 text');
  }
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== DH_LEN) {
    throw new Error(`key must decode to ${DH_LEN} bytes (X25519), got ${bytes.length}`);
  }
  return new Uint8Array(bytes);
}
