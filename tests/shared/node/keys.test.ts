/** X25519 key helpers: raw keys, base64 config form, and agreement between the fast (JWK) and DER import paths. */
import { diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeKey, dh, dhKeyPairFromPrivate, encodeKey, generateStaticKeyPair, publicKeyObjectFromDer, toDhKeyPair } from '../../../shared/node/noise';

describe('static keys', () => {
  it('generates 32-byte pairs whose public key derives from the private key', () => {
    const pair = generateStaticKeyPair();
    expect(pair.publicKey.length).toBe(32);
    expect(pair.privateKey.length).toBe(32);
    expect(Buffer.from(dhKeyPairFromPrivate(pair.privateKey).publicKey).equals(pair.publicKey)).toBe(true);
  });

  it('round-trips keys through base64 (standard and URL-safe)', () => {
    const { publicKey } = generateStaticKeyPair();
    const text = encodeKey(publicKey);
    expect(text).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(decodeKey(text)).equals(publicKey)).toBe(true);
    expect(Buffer.from(decodeKey(Buffer.from(publicKey).toString('base64url'))).equals(publicKey)).toBe(true);
    expect(Buffer.from(decodeKey(`  ${text}\n`)).equals(publicKey)).toBe(true);
  });

  it('rejects keys of the wrong length or not base64, with a clear message', () => {
    expect(() => decodeKey(Buffer.alloc(31).toString('base64'))).toThrow(/32 bytes.*got 31/);
    expect(() => decodeKey(Buffer.alloc(33).toString('base64'))).toThrow(/got 33/);
    expect(() => decodeKey('not a key!')).toThrow(/base64/);
    expect(() => decodeKey('')).toThrow();
  });

  it('refuses a key pair whose halves do not match', () => {
    const a = generateStaticKeyPair();
    const b = generateStaticKeyPair();
    expect(() => toDhKeyPair({ publicKey: b.publicKey, privateKey: a.privateKey })).toThrow(/does not belong/);
  });

  it('computes the same shared secret as a DER-imported public key, symmetric between the parties', () => {
    const a = toDhKeyPair(generateStaticKeyPair());
    const b = toDhKeyPair(generateStaticKeyPair());
    const ab = dh(a, b.publicKey);
    expect(Buffer.from(ab).equals(dh(b, a.publicKey))).toBe(true);
    expect(Buffer.from(ab).equals(diffieHellman({ privateKey: a.handle, publicKey: publicKeyObjectFromDer(b.publicKey) }))).toBe(true);
  });

  it('rejects a low-order peer key (all-zero shared secret)', () => {
    const a = toDhKeyPair(generateStaticKeyPair());
    expect(() => dh(a, new Uint8Array(32))).toThrow();
  });
});
