/** The Noise DH function (spec section 4.1) as the engine sees it; 25519 is the only one supported. */

export const DH_LEN = 32;

/** An X25519 key pair, raw 32-byte keys (a static identity, or an ephemeral key). */
export interface StaticKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export interface DhFunction {
  /** Where the curve arithmetic comes from, for diagnostics: 'node:crypto' or '@noble/curves'. */
  readonly implementation: string;
  /** A fresh random key pair. */
  generateKeyPair(): StaticKeyPair;
  /** The public key of a raw private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * The pair in the form `dh` uses fastest (parsed and cached per object).
   * Throws when the public key does not belong to the private key.
   */
  keyPair(pair: StaticKeyPair): StaticKeyPair;
  /** X25519(pair.privateKey, publicKey); throws for a low-order public key (all-zero result). */
  dh(pair: StaticKeyPair, publicKey: Uint8Array): Uint8Array;
}

export function checkLength(key: Uint8Array, what: string): void {
  if (key.length !== DH_LEN) throw new RangeError(`${what} must be ${DH_LEN} bytes, got ${key.length}`);
}
