/** Maps a MessengerError code (protocol ResultCode name or LocalErrorCode) to a translation key. */
const known = new Set([
  'BAD_CREDENTIALS', 'ACCOUNT_DISABLED', 'TOKEN_INVALID', 'RATE_LIMITED', 'USERNAME_TAKEN', 'INVALID_ARGUMENT',
  'NOT_FOUND', 'NOT_FRIENDS', 'BLOCKED', 'ALREADY_FRIENDS', 'REQUEST_PENDING', 'NOT_MEMBER', 'PERMISSION_DENIED',
  'GROUP_FULL', 'GROUP_DISSOLVED', 'ALREADY_MEMBER', 'RECALL_WINDOW_EXPIRED', 'MESSAGE_TOO_LARGE', 'INTERNAL',
  'SHUTTING_DOWN', 'NOT_LOGGED_IN', 'OFFLINE', 'TIMEOUT', 'SERVER_UNREACHABLE', 'SERVER_KEY_MISMATCH',
  'PASSWORD_REQUIRED', 'CACHE_CORRUPT', 'UNSUPPORTED', 'HANDSHAKE_FAILED', 'HANDSHAKE_TIMEOUT', 'NOT_AUTHENTICATED', 'SHELL_DISCONNECTED',
]);

export function errorKey(code: string | undefined): string {
  const c = (code ?? '').replace(/^RESULT_CODE_/, '');
  return known.has(c) ? `errors.${c}` : 'errors.UNKNOWN';
}

/** Pulls `code` off anything a rejected call may throw. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'INTERNAL';
}
