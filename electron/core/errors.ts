/**
 * Typed errors of the core. `code` is an `ErrorCode` of the contract: a
 * protocol ResultCode name (e.g. 'BAD_CREDENTIALS') or a LocalErrorCode. The
 * shells turn a rejected CoreError into the contract's `ErrorInfo`
 * (electron/host/errors.ts, which also bounds what reaches the UI);
 * `toErrorInfo` here serves the core's own logs and the errors it stores on
 * failed messages.
 */
import { isErrorCode, type ErrorCode, type ErrorInfo } from '../../shared/ipc';
import { ResultCode } from '../../shared/protocol';

export class CoreError extends Error {
  readonly code: ErrorCode;
  /** From the server's ErrorDetail with RATE_LIMITED: when to try again (0 = not said). */
  readonly retryAfterMs: number;
  constructor(code: ErrorCode, message: string, retryAfterMs = 0) {
    super(message);
    this.name = 'CoreError';
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  get info(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

/** 'BAD_CREDENTIALS' for ResultCode.BAD_CREDENTIALS; 'INTERNAL' for OK or an unknown number. */
export function resultCodeName(code: number): ErrorCode {
  const name: unknown = (ResultCode as unknown as Record<number, string | undefined>)[code];
  return isErrorCode(name) ? name : 'INTERNAL';
}

export function errorFromResult(code: number, message: string, retryAfterMs = 0): CoreError {
  return new CoreError(resultCodeName(code), message || resultCodeName(code), retryAfterMs);
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CoreError) return err.info;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: isErrorCode(code) ? code : 'INTERNAL', message: err.message };
  }
  return { code: 'INTERNAL', message: String(err) };
}

/** A set of codes a policy matches on (typos are compile errors). */
export function errorCodes(...codes: ErrorCode[]): ReadonlySet<ErrorCode> {
  return new Set(codes);
}
