/** The secure transport's public API: one import for the server and the client core. */
export { SecureConnection, type SecureConnectionEvents, type SecureConnectionOptions } from './connection';
export { connectSecure, DEFAULT_HANDSHAKE_TIMEOUT_MS, type ClientHandshakeOptions, type SecureClient } from './client-handshake';
export { acceptSecure, type HelloDecision, type ServerHandshakeOptions } from './server-handshake';
export { SecureTransportError, type TransportError } from './errors';
