import { isErrorCode, type LocalErrorCode } from '../../shared/ipc/errors';
import { MessengerError } from '../../shared/ipc/api';

/** The code of calls that could not reach the shell (web shell down or restarting). */
export const shellDisconnected: LocalErrorCode = 'SHELL_DISCONNECTED';

/** Normalises whatever a transport rejected with into a MessengerError. */
export function toMessengerError(error: unknown): MessengerError {
  if (error instanceof MessengerError) return error;
  if (typeof error === 'object' && error !== null) {
    const rec = error as { code?: unknown; message?: unknown };
    if (typeof rec.code === 'string') {
      // A code this build does not know (a newer core?) still fails the call, as INTERNAL.
      const code = isErrorCode(rec.code) ? rec.code : 'INTERNAL';
      return new MessengerError({ code, message: typeof rec.message === 'string' ? rec.message : rec.code });
    }
    if (typeof rec.message === 'string') return new MessengerError({ code: 'INTERNAL', message: rec.message });
  }
  return new MessengerError({ code: 'INTERNAL', message: String(error) });
}
