/**
 * The wire edge of the core: what it takes from decoded protobuf messages
 * (shared/protocol) and how their ids, enums and refs become the contract's
 * vocabulary (shared/ipc). Nothing else in the core converts between the two.
 */
export * from './ids';
export * from './types';
export * from './vocabulary';
export * from './conversation-ref';
export { profileFromWire } from './views';
