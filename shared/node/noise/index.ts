export * from './errors';
export * from './keys';
export * from './suite';
export * from './patterns';
export * from './cipher-state';
export * from './symmetric-state';
export * from './handshake-state';

/** The protocol Tern ships (docs/PROTOCOL.md explains the choice). */
export const TERN_NOISE_PROTOCOL = 'Noise_NK_25519_ChaChaPoly_SHA256';
/** Prologue mixed into the handshake hash: both sides must agree on it. */
export const TERN_NOISE_PROLOGUE: Uint8Array = new TextEncoder().encode('tern/1');
