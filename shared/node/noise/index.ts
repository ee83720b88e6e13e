export * from './errors';
export * from './dh';
export * from './keys';
export * from './x25519-portable';
export * from './suite';
export * from './crypto-profile';
export * from './patterns';
export * from './cipher-state';
export * from './symmetric-state';
export * from './handshake-state';

export * from './tern';
export * from './self-check';
