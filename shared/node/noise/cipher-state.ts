/**
 * Noise CipherState (spec section 5.1): a key and a 64-bit message counter
 * used as the AEAD nonce. After the handshake there is one per direction.
 */
import { NoiseError } from './errors';
import type { Cipher } from './suite';

/**
 * Counters stay JavaScript numbers: 2^53 messages per direction is far beyond
 * any connection's life, and we refuse to go past it rather than wrap.
 */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;
const EMPTY = new Uint8Array(0);

export class CipherState {
  private key: Uint8Array | null = null;
  private n = 0;
  /** Plaintext bytes sealed under the current key (checked against cipher.maxBytesPerKey). */
  private sealed = 0;

  constructor(readonly cipher: Cipher) {}

  initializeKey(key: Uint8Array | null): void {
    this.key = key;
    this.n = 0;
    this.sealed = 0;
  }

  hasKey(): boolean {
    return this.key !== null;
  }

  /** The next nonce (exposed for tests and diagnostics). */
  get nonce(): number {
    return this.n;
  }

  /** `headroom`: leading bytes left free in the result for the caller (see Cipher.encrypt). */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array, headroom = 0): Uint8Array {
    if (this.key === null) {
      if (headroom === 0) return plaintext;
      const out = new Uint8Array(headroom + plaintext.length);
      out.set(plaintext, headroom);
      return out;
    }
    if (this.n >= MAX_NONCE) throw new NoiseError('nonce exhausted: open a new connection');
    if (this.sealed + plaintext.length > this.cipher.maxBytesPerKey) throw new NoiseError('key usage limit reached: open a new connection');
    const out = this.cipher.encrypt(this.key, this.n, ad, plaintext, headroom);
    this.n++;
    this.sealed += plaintext.length;
    return out;
  }

  /** Throws NoiseError when authentication fails; the counter then does not move (spec 5.1). */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.key === null) return ciphertext;
    if (this.n >= MAX_NONCE) throw new NoiseError('nonce exhausted: open a new connection');
    const out = this.cipher.decrypt(this.key, this.n, ad, ciphertext);
    if (out === null) throw new NoiseError('decryption failed: message tampered, replayed, reordered or keyed differently');
    this.n++;
    return out;
  }

  /** Transport encryption (no associated data). */
  encrypt(plaintext: Uint8Array, headroom = 0): Uint8Array {
    return this.encryptWithAd(EMPTY, plaintext, headroom);
  }

  /** Transport decryption (no associated data). */
  decrypt(ciphertext: Uint8Array): Uint8Array {
    return this.decryptWithAd(EMPTY, ciphertext);
  }
}
