/** A request failure with the protocol result code the client receives. */
import { ResultCode } from '../../shared/protocol';

export class ServiceError extends Error {
  constructor(
    readonly code: ResultCode,
    message: string,
    readonly field = '',
    readonly retryAfterMs = 0,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export function invalid(field: string, message: string): ServiceError {
  return new ServiceError(ResultCode.INVALID_ARGUMENT, message, field);
}

export function fail(code: ResultCode, message: string): ServiceError {
  return new ServiceError(code, message);
}
