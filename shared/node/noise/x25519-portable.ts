/**
 * X25519 from @noble/curves (audited, pure JavaScript): the client's
 * implementation, because it does not depend on which TLS library Node was
 * built with. Electron's Node runs on BoringSSL, and X25519 KeyObjects there
 * are not something we can rely on (Electron's own patch to Node's crypto
 * tests disables the x25519 key-generation test under BoringSSL); the rest of
 * the suite (AES-256-GCM, SHA-256, HMAC, randomBytes) is plain node:crypto
 * that BoringSSL does have. See docs/PROTOCOL.md section 2.1.
 *
 * Cost: about 1.4 ms per scalar multiplication here, three per client
 * handshake; the server keeps node:crypto (keys.ts), over ten times faster.
 */
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { checkLength, type DhFunction, type StaticKeyPair } from './dh';

const checked = new WeakSet<StaticKeyPair>();

function keyPair(pair: StaticKeyPair): StaticKeyPair {
  if (checked.has(pair)) return pair;
  checkLength(pair.privateKey, 'X25519 private key');
  checkLength(pair.publicKey, 'X25519 public key');
  if (!Buffer.from(x25519.getPublicKey(pair.privateKey)).equals(pair.publicKey)) {
    throw new Error('static key pair: the public key does not belong to the private key');
  }
  checked.add(pair);
  return pair;
}

export const portableX25519: DhFunction = {
  implementation: '@noble/curves',
  generateKeyPair() {
    const privateKey = new Uint8Array(randomBytes(32));
    const pair = { publicKey: x25519.getPublicKey(privateKey), privateKey };
    checked.add(pair);
    return pair;
  },
  publicKey(privateKey) {
    checkLength(privateKey, 'X25519 private key');
    return x25519.getPublicKey(privateKey);
  },
  keyPair,
  dh(pair, publicKey) {
    checkLength(publicKey, 'X25519 public key');
    return x25519.getSharedSecret(pair.privateKey, publicKey);
  },
};
