import { isErrorCode, type ErrorInfo } from '../../shared/ipc';

/** Messages longer than this are cut: an error travels to the UI, not a dump. */
const MAX_MESSAGE = 500;

/**
 * Converts anything a core method threw into the `ErrorInfo` of a CallResult.
 * Errors that carry a known `ErrorCode` (the core's typed errors) keep it;
 * anything else is INTERNAL. Stacks never cross to the UI.
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (typeof error === 'object' && error !== null) {
    const rec = error as { code?: unknown; message?: unknown };
    const code = isErrorCode(rec.code) ? rec.code : 'INTERNAL';
    const message = typeof rec.message === 'string' ? rec.message : String(error);
    return { code, message: message.slice(0, MAX_MESSAGE) };
  }
  return { code: 'INTERNAL', message: String(error).slice(0, MAX_MESSAGE) };
}
