/**
 * The Noise cipher and hash functions (spec sections 4.2-4.3), implemented
 * with Node's crypto. Which of them a process may use is its crypto profile
 * (crypto-profile.ts): ChaChaPoly and BLAKE2 exist in OpenSSL, not in the
 * BoringSSL that Electron's Node is built on.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, type CipherGCM, type DecipherGCM } from 'node:crypto';

export const TAG_LEN = 16;
export const KEY_LEN = 32;

export type CipherName = 'ChaChaPoly' | 'AESGCM';
export type HashName = 'SHA256' | 'SHA512' | 'BLAKE2s' | 'BLAKE2b';

export interface Cipher {
  readonly name: CipherName;
  /**
   * Plaintext bytes one key may seal before the connection must end (no
   * rekeying in protocol version 1): the AES-GCM bound below, unbounded for
   * ChaChaPoly (whose limit is the 2^64 nonce).
   */
  readonly maxBytesPerKey: number;
  /**
   * AEAD encryption; `n` is the 64-bit counter as a safe integer. Returns
   * ciphertext || tag, after `headroom` bytes left for the caller (a record
   * header), so a record is built without a second copy.
   */
  encrypt(key: Uint8Array, n: number, ad: Uint8Array, plaintext: Uint8Array, headroom?: number): Uint8Array;
  /** AEAD decryption; returns null when authentication fails. */
  decrypt(key: Uint8Array, n: number, ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
}

export interface Hash {
  readonly name: HashName;
  readonly hashLen: 32 | 64;
  hash(...parts: Uint8Array[]): Uint8Array;
  hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
}

/**
 * One nonce buffer for the process: createCipheriv/createDecipheriv copy the
 * IV into their context before returning, so it is rewritten per record
 * instead of allocated.
 */
const nonceBuffer = Buffer.alloc(12);

/** 96-bit nonce: 32 zero bits then the counter, little-endian (ChaChaPoly) or big-endian (AESGCM), per the Noise spec. */
function nonce(n: number, littleEndian: boolean): Buffer {
  const out = nonceBuffer;
  const lo = n >>> 0;
  const hi = Math.floor(n / 0x1_0000_0000) >>> 0;
  if (littleEndian) {
    out.writeUInt32LE(lo, 4);
    out.writeUInt32LE(hi, 8);
  } else {
    out.writeUInt32BE(hi, 4);
    out.writeUInt32BE(lo, 8);
  }
  return out;
}

interface AeadFactory {
  cipher(key: Uint8Array, iv: Uint8Array): CipherGCM;
  decipher(key: Uint8Array, iv: Uint8Array): DecipherGCM;
}

// Node's typings overload createCipheriv per algorithm family; both families
// expose the same AEAD methods, so one shape serves both.
const chachaPoly: AeadFactory = {
  cipher: (key, iv) => createCipheriv('chacha20-poly1305', key, iv, { authTagLength: TAG_LEN }) as unknown as CipherGCM,
  decipher: (key, iv) => createDecipheriv('chacha20-poly1305', key, iv, { authTagLength: TAG_LEN }) as unknown as DecipherGCM,
};
const aesGcm: AeadFactory = {
  cipher: (key, iv) => createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN }),
  decipher: (key, iv) => createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN }),
};

/**
 * AES-GCM's security degrades with the data sealed under one key. 2^38 bytes
 * (2^34 blocks) keeps an attacker's advantage near 2^-60, the margin TLS 1.3
 * picks (RFC 8446 section 5.5); the Noise spec's looser ceiling is 2^56 bytes.
 * A connection never nears it in practice (256 GiB one way), and when one does
 * it is closed and the client reconnects with fresh keys.
 */
export const AESGCM_MAX_BYTES_PER_KEY = 2 ** 38;

/**
 * Node's cipher objects take their nonce at creation and are single-use, so
 * one is made per message (a few microseconds; nothing per connection is
 * kept between records but the 32-byte key). Transport records have no
 * associated data, so setAAD is skipped for them (only CCM would need the
 * call regardless).
 */
function aead(name: CipherName, factory: AeadFactory, littleEndian: boolean, maxBytesPerKey: number): Cipher {
  return {
    name,
    maxBytesPerKey,
    encrypt(key, n, ad, plaintext, headroom = 0) {
      const cipher = factory.cipher(key, nonce(n, littleEndian));
      if (ad.length > 0) cipher.setAAD(ad);
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      const tag = cipher.getAuthTag();
      const out = Buffer.allocUnsafe(headroom + head.length + tail.length + TAG_LEN);
      head.copy(out, headroom);
      tail.copy(out, headroom + head.length);
      tag.copy(out, headroom + head.length + tail.length);
      return out;
    },
    decrypt(key, n, ad, ciphertext) {
      if (ciphertext.length < TAG_LEN) return null;
      const bodyLength = ciphertext.length - TAG_LEN;
      const decipher = factory.decipher(key, nonce(n, littleEndian));
      if (ad.length > 0) decipher.setAAD(ad);
      decipher.setAuthTag(ciphertext.subarray(bodyLength));
      const head = decipher.update(ciphertext.subarray(0, bodyLength));
      try {
        const tail = decipher.final();
        return tail.length === 0 ? head : Buffer.concat([head, tail]);
      } catch {
        return null;
      }
    },
  };
}

function hashOf(name: HashName, algorithm: string, hashLen: 32 | 64): Hash {
  return {
    name,
    hashLen,
    hash(...parts) {
      const h = createHash(algorithm);
      for (const part of parts) h.update(part);
      return h.digest();
    },
    hmac(key, ...parts) {
      // Node's HMAC uses each hash's own block size (64 for SHA-256/BLAKE2s,
      // 128 for SHA-512/BLAKE2b), which is what the Noise spec asks for.
      const h = createHmac(algorithm, key);
      for (const part of parts) h.update(part);
      return h.digest();
    },
  };
}

/** Every cipher node:crypto offers with OpenSSL; see crypto-profile.ts for what a given process may use. */
export const ciphers: Record<CipherName, Cipher> = {
  ChaChaPoly: aead('ChaChaPoly', chachaPoly, true, Number.POSITIVE_INFINITY),
  AESGCM: aead('AESGCM', aesGcm, false, AESGCM_MAX_BYTES_PER_KEY),
};

export const hashes: Record<HashName, Hash> = {
  SHA256: hashOf('SHA256', 'sha256', 32),
  SHA512: hashOf('SHA512', 'sha512', 64),
  BLAKE2s: hashOf('BLAKE2s', 'blake2s256', 32),
  BLAKE2b: hashOf('BLAKE2b', 'blake2b512', 64),
};
