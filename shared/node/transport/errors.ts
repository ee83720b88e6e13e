import { ResultCode } from '../../protocol';

/** Why a secure connection failed or closed: a protocol result code and an English message for logs. */
export interface TransportError {
  code: ResultCode;
  message: string;
}

/** The Error thrown by connectSecure/acceptSecure: carries the protocol `code`. */
export class SecureTransportError extends Error implements TransportError {
  override readonly name: string = 'SecureTransportError';
  constructor(
    readonly code: ResultCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps a socket error to a TransportError: INTERNAL, with the errno code (ECONNREFUSED...) leading the message. */
export function socketError(err: Error & { code?: unknown }): TransportError {
  const errno = typeof err.code === 'string' ? err.code : undefined;
  return { code: ResultCode.INTERNAL, message: errno ? `${errno}: ${err.message}` : err.message };
}
