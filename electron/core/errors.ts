/**
 * Typed errors of the core. `code` is a protocol ResultCode name
 * (e.g. 'BAD_CREDENTIALS') or a LocalErrorCode; the shells turn a rejected
 * CoreError into the contract's `ErrorInfo` (electron/host/errors.ts, which
 * also bounds what reaches the UI). `toErrorInfo` here serves the core's own
 * logs and the errors it stores on failed messages.
 */
import type { ErrorInfo, LocalErrorCode } from '../../shared/ipc';
import { ResultCode } from '../../shared/protocol';

export class CoreError extends Error {
  readonly code: string;
  constructor(code: LocalErrorCode | string, message: string) {
    super(message);
    this.name = 'CoreError';
    this.code = code;
  }

  get info(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

/** 'BAD_CREDENTIALS' for ResultCode.BAD_CREDENTIALS; 'INTERNAL' for an unknown number. */
export function resultCodeName(code: number): string {
  const name = (ResultCode as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : 'INTERNAL';
}

export function errorFromResult(code: number, message: string): CoreError {
  return new CoreError(resultCodeName(code), message || resultCodeName(code));
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof CoreError) return err.info;
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    return { code: (err as Error & { code: string }).code, message: err.message };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
