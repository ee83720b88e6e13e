/** Reading the handshake's records off a socket, with one deadline for the whole handshake. */
import type { Socket } from 'node:net';
import { ResultCode, FrameDecoder, type Frame } from '../../protocol';
import { SecureTransportError, socketError } from './errors';
import { RecordReader } from './records';

export interface HandshakeRecord {
  message: Uint8Array;
  /** Bytes that followed the record (already the transport phase). */
  rest: Uint8Array[];
}

/**
 * Resolves with the next record from `socket`. Rejects with `closedError()`
 * when the peer ends or the socket closes first, and with INTERNAL for
 * socket errors. Listeners are removed when it settles.
 */
export function readHandshakeRecord(socket: Socket, closedError: () => SecureTransportError): Promise<HandshakeRecord> {
  return new Promise((resolve, reject) => {
    const reader = new RecordReader();
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onClosed);
      socket.off('close', onClosed);
      socket.off('error', onError);
    };
    const onData = (chunk: Uint8Array): void => {
      reader.append(chunk);
      // Only the first record is cut here: whatever follows is already the
      // transport phase (or garbage), left for the connection to judge.
      const message = reader.next();
      if (message === undefined) return;
      cleanup();
      resolve({ message, rest: reader.drain() });
    };
    const onClosed = (): void => {
      cleanup();
      reject(closedError());
    };
    const onError = (err: Error): void => {
      cleanup();
      const mapped = socketError(err);
      reject(new SecureTransportError(mapped.code, mapped.message, { cause: err }));
    };
    socket.on('data', onData);
    socket.on('end', onClosed);
    socket.on('close', onClosed);
    socket.on('error', onError);
  });
}

/** The one frame a handshake payload must hold; throws HANDSHAKE_FAILED otherwise. */
export function decodeHandshakeFrame(bytes: Uint8Array): Frame {
  const decoder = new FrameDecoder({ maxFrameSize: Math.max(bytes.length, 16) });
  const { frames, error } = decoder.push(bytes);
  const frame = frames[0];
  if (error || !frame || frames.length !== 1 || decoder.bufferedBytes !== 0) {
    throw new SecureTransportError(ResultCode.HANDSHAKE_FAILED, `handshake payload is not exactly one frame${error ? `: ${error.message}` : ''}`);
  }
  return frame;
}

/** Rejects after `ms` with HANDSHAKE_TIMEOUT; `clear` must be called when the handshake settles. */
export function handshakeDeadline(ms: number, what: string): { promise: Promise<never>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SecureTransportError(ResultCode.HANDSHAKE_TIMEOUT, `${what} did not complete within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, clear: () => clearTimeout(timer) };
}
