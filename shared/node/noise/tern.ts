/** What Tern speaks: the Noise protocol name and prologue (docs/PROTOCOL.md section 2). */

/**
 * The protocol Tern ships (docs/PROTOCOL.md section 2.1 explains the choice):
 * every primitive in it exists on OpenSSL and on Electron's BoringSSL.
 */
export const TERN_NOISE_PROTOCOL = 'Noise_NK_25519_AESGCM_SHA256';
/** Prologue mixed into the handshake hash: both sides must agree on it. */
export const TERN_NOISE_PROLOGUE: Uint8Array = new TextEncoder().encode('tern/1');
