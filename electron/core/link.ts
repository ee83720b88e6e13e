/**
 * What the core needs from a transport connection, and how it reaches one.
 * The real implementation is the Noise-secured TCP connection of
 * shared/node/transport (see secure-connector.ts); tests use an in-memory
 * pair with the same shape.
 */
import type { ProxyConfig } from '../../shared/node/proxy/tunnel';
import type { Frame } from '../../shared/protocol';
import type { ServerEndpoint } from '../../shared/ipc';

export interface LinkCloseError {
  code: number;
  message: string;
}

/** The subset of SecureConnection the core uses. */
export interface WireConnection {
  on(event: 'frame', listener: (frame: Frame) => void): unknown;
  on(event: 'close', listener: (error?: LinkCloseError) => void): unknown;
  off(event: 'frame', listener: (frame: Frame) => void): unknown;
  off(event: 'close', listener: (error?: LinkCloseError) => void): unknown;
  send(frame: Frame): boolean;
  close(error?: LinkCloseError): void;
  destroy(error?: LinkCloseError): void;
  readonly closed: boolean;
}

export interface ServerHello {
  maxFrameSize: number;
  heartbeatIntervalMs: number;
  idleTimeoutMs: number;
  serverTime: number;
}

export interface ConnectOptions {
  timeoutMs: number;
  signal: AbortSignal;
  clientName: string;
  /** Called once TCP is up and the Noise handshake starts, when the connector can tell. */
  onHandshake?: () => void;
  /** Reach the server through this proxy (from the settings). */
  proxy?: ProxyConfig;
}

/**
 * Opens one connection to one endpoint. Rejects with a CoreError whose code
 * is SERVER_KEY_MISMATCH, SERVER_UNREACHABLE, TIMEOUT or a ResultCode name.
 */
export type Connector = (endpoint: ServerEndpoint, options: ConnectOptions) => Promise<{ connection: WireConnection; hello: ServerHello }>;

export function endpointName(endpoint: { host: string; port: number }): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}
