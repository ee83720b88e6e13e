/** The client side: TCP connect, Noise NK handshake against the pinned server key, then a SecureConnection. */
import { connect, type Socket } from 'node:net';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  Command,
  decodePayload,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  encodePayload,
  ErrorDetailSchema,
  HandshakeRequestSchema,
  HandshakeResponseSchema,
  HEADER_SIZE,
  ResultCode,
  type HandshakeResponse,
} from '../../protocol';
import { HandshakeState, NoiseError, portableCrypto, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL, type NoiseCrypto } from '../noise';
import { openTunnel, type ProxyConfig } from '../proxy/tunnel';
import { SecureConnection } from './connection';
import { SecureTransportError, socketError } from './errors';
import { decodeHandshakeFrame, handshakeDeadline, readHandshakeRecord } from './handshake-io';
import { handshakeRecord } from './records';

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * The largest frame size a client takes from the server's announcement: a
 * frame is buffered whole before it is handled, so a hostile server must not
 * be able to make the app hold gigabytes (docs/PROTOCOL.md section 2.2).
 */
export const MAX_ANNOUNCED_FRAME_SIZE = 16 * 1024 * 1024;
const MAX_REASON_LENGTH = 200;

export interface ClientHandshakeOptions {
  host: string;
  port: number;
  /** The server's X25519 public key from the client configuration (pinned). */
  serverPublicKey: Uint8Array;
  hello: MessageInitShape<typeof HandshakeRequestSchema>;
  /** Deadline for connect + handshake. Default 10 s. */
  timeoutMs?: number;
  /** Largest frame either way. Default: what the server announces, else 1 MiB. */
  maxFrameSize?: number;
  signal?: AbortSignal;
  /** Source address to connect from (load generators spread over 127.0.0.0/8). Default: the system's choice. */
  localAddress?: string;
  /**
   * Crypto implementations. Default: portableCrypto, which runs in Electron
   * (BoringSSL) as well as in Node; Node-only tools (load generators) may pass
   * nativeCrypto for cheaper handshakes.
   */
  crypto?: NoiseCrypto;
  /** Reach the server through this SOCKS5 or HTTP CONNECT proxy (shared/node/proxy). */
  proxy?: ProxyConfig;
  /**
   * Seal the frames sent during one turn of the event loop together, as
   * the server does (SecureConnectionOptions.coalesceWrites): a burst of
   * PUSH_ACKs or sends then costs both ends one AEAD operation and one
   * syscall instead of one per frame. Default off: writes reach the socket
   * synchronously.
   */
  coalesceWrites?: boolean;
}

export interface SecureClient {
  connection: SecureConnection;
  hello: HandshakeResponse;
}

function tcpConnect(host: string, port: number, localAddress?: string): { socket: Socket; connected: Promise<void> } {
  const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
  const connected = new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      const mapped = socketError(err);
      reject(new SecureTransportError(mapped.code, mapped.message, { cause: err }));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return { socket, connected };
}

/** A tunnel through the proxy, failing like a TCP connect does (INTERNAL, with the proxy's reason). */
function proxyConnect(proxy: ProxyConfig, host: string, port: number): { socket: Socket; connected: Promise<void> } {
  const { socket, connected } = openTunnel(proxy, host, port);
  return {
    socket,
    connected: connected.catch((err: unknown) => {
      throw new SecureTransportError(ResultCode.INTERNAL, `via proxy ${proxy.host}:${proxy.port}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }),
  };
}

/**
 * Connects and runs the handshake. Rejects with a SecureTransportError whose
 * `code` says why: HANDSHAKE_FAILED (wrong pinned key or a broken reply),
 * HANDSHAKE_TIMEOUT, the server's refusal (e.g. UNSUPPORTED_VERSION), or
 * INTERNAL for network errors (message starts with the errno, e.g. ECONNREFUSED).
 */
export async function connectSecure(options: ClientHandshakeOptions): Promise<SecureClient> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (options.signal?.aborted) throw abortError(options.signal);
  const handshake = new HandshakeState({
    protocolName: TERN_NOISE_PROTOCOL,
    crypto: options.crypto ?? portableCrypto,
    initiator: true,
    prologue: TERN_NOISE_PROLOGUE,
    remoteStaticKey: options.serverPublicKey,
  });
  const { socket, connected } = options.proxy ? proxyConnect(options.proxy, options.host, options.port) : tcpConnect(options.host, options.port, options.localAddress);
  socket.setNoDelay(true);
  const deadline = handshakeDeadline(timeoutMs, `handshake with ${options.host}:${options.port}`);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);

  const run = async (): Promise<SecureClient> => {
    await connected;
    const hello = encodeFrame({ serial: 0, command: Command.HANDSHAKE, code: ResultCode.OK, payload: encodePayload(HandshakeRequestSchema, options.hello) });
    // Sealed before the reply is awaited: if sealing throws, no reader is left behind to reject unhandled.
    const first = handshakeRecord(handshake.writeMessage(hello));
    const reply = readHandshakeRecord(
      socket,
      () => new SecureTransportError(ResultCode.HANDSHAKE_FAILED, 'the server closed the connection during the handshake (is the pinned server key right?)'),
    );
    socket.write(first);
    const { message, rest } = await reply;
    let payload: Uint8Array;
    try {
      payload = handshake.readMessage(message);
    } catch (err) {
      if (!(err instanceof NoiseError)) throw err;
      throw new SecureTransportError(ResultCode.HANDSHAKE_FAILED, `the server could not be authenticated: ${err.message}`, { cause: err });
    }
    const frame = decodeHandshakeFrame(payload);
    if (frame.command !== Command.HANDSHAKE) {
      throw new SecureTransportError(ResultCode.HANDSHAKE_FAILED, `the server answered the handshake with command ${frame.command}`);
    }
    if (frame.code !== ResultCode.OK) {
      const detail = decodePayload(ErrorDetailSchema, frame.payload);
      // The server's words go to logs: bounded, and a code this client does not know is a failed handshake.
      const reason = detail.ok && detail.value.message ? detail.value.message.slice(0, MAX_REASON_LENGTH) : 'no reason given';
      const known = typeof ResultCode[frame.code] === 'string';
      throw new SecureTransportError(known ? frame.code : ResultCode.HANDSHAKE_FAILED, `the server refused the handshake (code ${frame.code}): ${reason}`);
    }
    const response = decodePayload(HandshakeResponseSchema, frame.payload);
    if (!response.ok) throw new SecureTransportError(ResultCode.HANDSHAKE_FAILED, response.error);
    const keys = handshake.transportKeys();
    const announced = response.value.maxFrameSize;
    const maxFrameSize = options.maxFrameSize ?? (announced >= HEADER_SIZE ? Math.min(announced, MAX_ANNOUNCED_FRAME_SIZE) : DEFAULT_MAX_FRAME_SIZE);
    const connection = new SecureConnection(socket, { send: keys.send, receive: keys.receive, role: 'client', maxFrameSize, initialData: rest, coalesceWrites: options.coalesceWrites });
    return { connection, hello: response.value };
  };

  try {
    return await Promise.race([run(), deadline.promise, aborted]);
  } catch (err) {
    socket.on('error', () => undefined); // nothing is listening any more; a late error must not crash the process
    socket.destroy();
    throw err;
  } finally {
    deadline.clear();
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
}

function abortError(signal: AbortSignal): SecureTransportError {
  const error = new SecureTransportError(ResultCode.INTERNAL, 'connect aborted', { cause: signal.reason });
  Object.defineProperty(error, 'name', { value: 'AbortError' });
  return error;
}
