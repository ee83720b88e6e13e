/**
 * The crypto functions of a Noise protocol name (`Noise_<pattern>_<dh>_<cipher>_<hash>`),
 * implemented with Node's crypto. Only 25519 is supported for DH: Node has X448
 * too, but nothing here needs it.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { NoiseError } from './errors';

export const TAG_LEN = 16;
export const KEY_LEN = 32;

export type CipherName = 'ChaChaPoly' | 'AESGCM';
export type HashName = 'SHA256' | 'SHA512' | 'BLAKE2s' | 'BLAKE2b';

export interface Cipher {
  readonly name: CipherName;
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

/** 96-bit nonce: 32 zero bits then the counter, little-endian (ChaChaPoly) or big-endian (AESGCM), per the Noise spec. */
function nonce(n: number, littleEndian: boolean): Buffer {
  const out = Buffer.alloc(12);
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
 * Node's cipher objects take their nonce at creation and are single-use, so
 * one is made per message (a few microseconds; nothing per connection is
 * kept between records but the 32-byte key).
 */
function aead(name: CipherName, factory: AeadFactory, littleEndian: boolean): Cipher {
  return {
    name,
    encrypt(key, n, ad, plaintext, headroom = 0) {
      const cipher = factory.cipher(key, nonce(n, littleEndian));
      cipher.setAAD(ad, { plaintextLength: plaintext.length });
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
      decipher.setAAD(ad, { plaintextLength: bodyLength });
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

export const ciphers: Record<CipherName, Cipher> = {
  ChaChaPoly: aead('ChaChaPoly', chachaPoly, true),
  AESGCM: aead('AESGCM', aesGcm, false),
};

export const hashes: Record<HashName, Hash> = {
  SHA256: hashOf('SHA256', 'sha256', 32),
  SHA512: hashOf('SHA512', 'sha512', 64),
  BLAKE2s: hashOf('BLAKE2s', 'blake2s256', 32),
  BLAKE2b: hashOf('BLAKE2b', 'blake2b512', 64),
};

export interface ProtocolName {
  /** The full name, e.g. Noise_NK_25519_ChaChaPoly_SHA256. */
  name: string;
  /** The pattern with its modifiers, e.g. NKpsk0 or XXpsk0+psk1. */
  pattern: string;
  cipher: Cipher;
  hash: Hash;
}

export function parseProtocolName(name: string): ProtocolName {
  const parts = name.split('_');
  if (parts.length !== 5 || parts[0] !== 'Noise') throw new NoiseError(`not a Noise protocol name: ${name}`);
  const [, pattern, dhName, cipherName, hashName] = parts as [string, string, string, string, string];
  if (dhName !== '25519') throw new NoiseError(`unsupported DH function ${dhName} (only 25519)`);
  if (!Object.prototype.hasOwnProperty.call(ciphers, cipherName)) throw new NoiseError(`unsupported cipher ${cipherName}`);
  if (!Object.prototype.hasOwnProperty.call(hashes, hashName)) throw new NoiseError(`unsupported hash ${hashName}`);
  return { name, pattern, cipher: ciphers[cipherName as CipherName], hash: hashes[hashName as HashName] };
}
