/** Loopback helpers for the secure transport tests. */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ResultCode, type Frame } from '../../../shared/protocol';
import { generateStaticKeyPair, type StaticKeyPair } from '../../../shared/node/noise';
import { acceptSecure, type SecureConnection, type ServerHandshakeOptions } from '../../../shared/node/transport/secure-connection';

export interface Loopback {
  server: Server;
  port: number;
  staticKey: StaticKeyPair;
  /** Settled results of acceptSecure, in accept order. */
  accepted: Promise<SecureConnection>[];
  /** acceptSecure's result for the first TCP connection, also when asked before the server accepted it. */
  firstAccepted(): Promise<SecureConnection>;
  sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that runs acceptSecure on every connection. */
export async function startLoopback(options: Partial<ServerHandshakeOptions> = {}): Promise<Loopback> {
  const staticKey = options.staticKey ?? generateStaticKeyPair();
  const accepted: Promise<SecureConnection>[] = [];
  let onFirst: (p: Promise<SecureConnection>) => void = () => {};
  // Resolving with acceptSecure's promise adopts its outcome.
  const first = new Promise<SecureConnection>((resolve) => (onFirst = resolve));
  first.catch(() => undefined);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const p = acceptSecure(socket, {
      staticKey,
      onHello: () => ({ code: ResultCode.OK, response: { protocolVersion: 1, maxFrameSize: 1024 * 1024 } }),
      ...options,
    });
    p.catch(() => undefined);
    accepted.push(p);
    if (accepted.length === 1) onFirst(p);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    staticKey,
    accepted,
    firstAccepted: () => first,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves with the next `n` frames of a connection, or rejects on close. */
export function nextFrames(connection: SecureConnection, n: number): Promise<Frame[]> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const onFrame = (frame: Frame): void => {
      frames.push(frame);
      if (frames.length === n) {
        connection.off('frame', onFrame);
        connection.off('close', onClose);
        resolve(frames);
      }
    };
    const onClose = (error?: { code: number; message: string }): void => {
      connection.off('frame', onFrame);
      reject(new Error(`closed after ${frames.length} frames: ${error ? `${error.code} ${error.message}` : 'no error'}`));
    };
    connection.on('frame', onFrame);
    connection.on('close', onClose);
  });
}

export function closeEvent(connection: SecureConnection): Promise<{ code: number; message: string } | undefined> {
  return new Promise((resolve) => connection.once('close', resolve));
}
