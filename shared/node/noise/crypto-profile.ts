/**
 * Crypto profiles: which implementation of each Noise primitive a process
 * uses, and the protocol-name parser that resolves a name against one.
 *
 * - `nativeCrypto`: everything from node:crypto as Node ships it (OpenSSL).
 *   The server's profile: the fastest, and the only one with ChaChaPoly and
 *   BLAKE2, so the engine's vector test covers every suite with it.
 * - `portableCrypto`: only what also works in Electron, whose Node is built
 *   on BoringSSL: AES-256-GCM, SHA-256/SHA-512 and HMAC from node:crypto
 *   (listed by Electron's crypto.getCiphers()/getHashes()), X25519 from
 *   @noble/curves. The client's profile, in Electron, in the web shell and in
 *   tests alike, so what the tests run is what the app runs.
 *
 * tests/shared/node/electron-crypto.test.ts runs the client under a node:crypto
 * that refuses everything BoringSSL lacks; self-check.ts verifies a profile at
 * start.
 */
import { NoiseError } from './errors';
import type { DhFunction } from './dh';
import { nodeX25519 } from './keys';
import { ciphers, hashes, type Cipher, type CipherName, type Hash, type HashName } from './suite';
import { portableX25519 } from './x25519-portable';

export interface NoiseCrypto {
  readonly name: 'native' | 'portable';
  readonly dh: DhFunction;
  readonly ciphers: Readonly<Partial<Record<CipherName, Cipher>>>;
  readonly hashes: Readonly<Partial<Record<HashName, Hash>>>;
}

export const nativeCrypto: NoiseCrypto = { name: 'native', dh: nodeX25519, ciphers, hashes };

export const portableCrypto: NoiseCrypto = {
  name: 'portable',
  dh: portableX25519,
  ciphers: { AESGCM: ciphers.AESGCM },
  hashes: { SHA256: hashes.SHA256, SHA512: hashes.SHA512 },
};

export interface ProtocolName {
  /** The full name, e.g. Noise_NK_25519_AESGCM_SHA256. */
  name: string;
  /** The pattern with its modifiers, e.g. NKpsk0 or XXpsk0+psk1. */
  pattern: string;
  dh: DhFunction;
  cipher: Cipher;
  hash: Hash;
}

/** Resolves `Noise_<pattern>_<dh>_<cipher>_<hash>` against `crypto`; a NoiseError names what is missing. */
export function parseProtocolName(name: string, crypto: NoiseCrypto = nativeCrypto): ProtocolName {
  const parts = name.split('_');
  if (parts.length !== 5 || parts[0] !== 'Noise') throw new NoiseError(`not a Noise protocol name: ${name}`);
  const [, pattern, dhName, cipherName, hashName] = parts as [string, string, string, string, string];
  if (dhName !== '25519') throw new NoiseError(`unsupported DH function ${dhName} (only 25519)`);
  const cipher = Object.prototype.hasOwnProperty.call(crypto.ciphers, cipherName) ? crypto.ciphers[cipherName as CipherName] : undefined;
  if (!cipher) throw new NoiseError(`unsupported cipher ${cipherName} in the ${crypto.name} crypto profile`);
  const hash = Object.prototype.hasOwnProperty.call(crypto.hashes, hashName) ? crypto.hashes[hashName as HashName] : undefined;
  if (!hash) throw new NoiseError(`unsupported hash ${hashName} in the ${crypto.name} crypto profile`);
  return { name, pattern, dh: crypto.dh, cipher, hash };
}

