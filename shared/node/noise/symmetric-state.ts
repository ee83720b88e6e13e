/** Noise SymmetricState (spec section 5.2): chaining key, handshake hash and the handshake CipherState. */
import { CipherState } from './cipher-state';
import type { ProtocolName } from './crypto-profile';
import { KEY_LEN } from './suite';

export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  readonly cipherState: CipherState;

  constructor(private readonly protocol: ProtocolName) {
    const { hash } = protocol;
    const name = new TextEncoder().encode(protocol.name);
    if (name.length <= hash.hashLen) {
      this.h = new Uint8Array(hash.hashLen);
      this.h.set(name);
    } else {
      this.h = hash.hash(name);
    }
    this.ck = this.h;
    this.cipherState = new CipherState(protocol.cipher);
  }

  /** HKDF of the spec (section 4.3), returning `count` outputs of HASHLEN bytes. */
  private hkdf(ikm: Uint8Array, count: 2 | 3): Uint8Array[] {
    const { hash } = this.protocol;
    const tempKey = hash.hmac(this.ck, ikm);
    const out1 = hash.hmac(tempKey, Uint8Array.of(1));
    const out2 = hash.hmac(tempKey, out1, Uint8Array.of(2));
    if (count === 2) return [out1, out2];
    return [out1, out2, hash.hmac(tempKey, out2, Uint8Array.of(3))];
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, tempK] = this.hkdf(ikm, 2) as [Uint8Array, Uint8Array];
    this.ck = ck;
    this.cipherState.initializeKey(tempK.subarray(0, KEY_LEN));
  }

  mixHash(data: Uint8Array): void {
    this.h = this.protocol.hash.hash(this.h, data);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, tempH, tempK] = this.hkdf(ikm, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.ck = ck;
    this.mixHash(tempH);
    this.cipherState.initializeKey(tempK.subarray(0, KEY_LEN));
  }

  get handshakeHash(): Uint8Array {
    return this.h;
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipherState.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipherState.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Two CipherStates: the first for initiator->responder, the second for responder->initiator. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = this.hkdf(new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
    const c1 = new CipherState(this.protocol.cipher);
    const c2 = new CipherState(this.protocol.cipher);
    // Copy the keys out so the two 64-byte HMAC outputs are not kept alive,
    // both into one buffer: a connection lives on with one backing store for
    // its keys instead of two.
    const keys = new Uint8Array(2 * KEY_LEN);
    keys.set(k1.subarray(0, KEY_LEN), 0);
    keys.set(k2.subarray(0, KEY_LEN), KEY_LEN);
    c1.initializeKey(keys.subarray(0, KEY_LEN));
    c2.initializeKey(keys.subarray(KEY_LEN));
    return [c1, c2];
  }
}
