/**
 * Maps a MessengerError code (a protocol ResultCode name or a LocalErrorCode)
 * to a translation key. The codes with a message of their own are exactly the
 * keys of `errors` in the English table (every locale is checked against its
 * shape); any other code shows the generic message.
 */
import { en } from './en';

const translated: ReadonlySet<string> = new Set(Object.keys(en.errors));

export function errorKey(code: string | null | undefined): string {
  const c = (code ?? '').replace(/^RESULT_CODE_/, '');
  return c !== 'UNKNOWN' && translated.has(c) ? `errors.${c}` : 'errors.UNKNOWN';
}

/** Pulls `code` off anything a rejected call may throw. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'INTERNAL';
}
