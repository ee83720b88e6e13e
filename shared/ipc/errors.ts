/**
 * The error vocabulary of the contract: every `ErrorInfo.code` is either the
 * name of a protocol `ResultCode` (the server's answer, shared/proto is the
 * schema of record) or a code the app raises itself (`LocalErrorCode`). The
 * UI translates codes; the core decides retries by them. Typed, so a typo is
 * a compile error rather than a silently unmatched string.
 */
import type { ResultCode } from '../protocol';

/** 'BAD_CREDENTIALS' for ResultCode.BAD_CREDENTIALS, ... (OK is not an error). */
export type ResultCodeName = Exclude<keyof typeof ResultCode, 'OK'>;

/**
 * The ResultCode names at run time, for code that must check a code it did
 * not produce (a transport, the UI) without loading the protobuf runtime.
 * `satisfies` keeps it equal to the generated enum: a code added to the proto
 * and missing here (or one listed here and gone from the proto) fails to compile.
 */
const resultCodeNames = {
  FRAME_TOO_SHORT: true,
  FRAME_TOO_LARGE: true,
  MALFORMED_PAYLOAD: true,
  UNKNOWN_COMMAND: true,
  UNSUPPORTED_VERSION: true,
  HANDSHAKE_FAILED: true,
  DECRYPT_FAILED: true,
  HANDSHAKE_TIMEOUT: true,
  RECORD_TOO_LARGE: true,
  IDLE_TIMEOUT: true,
  NOT_AUTHENTICATED: true,
  BAD_CREDENTIALS: true,
  ACCOUNT_DISABLED: true,
  TOKEN_INVALID: true,
  RATE_LIMITED: true,
  USERNAME_TAKEN: true,
  INVALID_ARGUMENT: true,
  ALREADY_AUTHENTICATED: true,
  NOT_FOUND: true,
  NOT_FRIENDS: true,
  BLOCKED: true,
  ALREADY_FRIENDS: true,
  REQUEST_PENDING: true,
  NOT_MEMBER: true,
  PERMISSION_DENIED: true,
  GROUP_FULL: true,
  GROUP_DISSOLVED: true,
  ALREADY_MEMBER: true,
  RECALL_WINDOW_EXPIRED: true,
  MESSAGE_TOO_LARGE: true,
  FILE_TOO_LARGE: true,
  QUOTA_EXCEEDED: true,
  BLOB_NOT_UPLOADED: true,
  EDIT_WINDOW_EXPIRED: true,
  TOO_MANY_REACTIONS: true,
  INTERNAL: true,
  SHUTTING_DOWN: true,
  UNAVAILABLE: true,
} as const satisfies Record<ResultCodeName, true>;

/** Error codes raised by the app itself rather than by the server. */
export const localErrorCodes = [
  'INVALID_ARGUMENT', // the call's arguments failed validation
  'NOT_LOGGED_IN', // the method needs an account session
  'OFFLINE', // the request needs the server and there is no connection
  'TIMEOUT', // the server did not answer in time
  'SERVER_UNREACHABLE', // no endpoint could be reached
  'SERVER_KEY_MISMATCH', // the server did not prove the pinned key
  'CRYPTO_UNAVAILABLE', // this runtime lacks a primitive the transport needs (start-up self-check)
  'PASSWORD_REQUIRED', // the stored device token was rejected: ask the user for the password
  'KICKED', // the server ended the session (another login, account disabled, token revoked)
  'CACHE_CORRUPT', // the local database was unreadable and was moved aside
  'CACHE_KEY_LOST', // the local database's key is gone (keychain changed): moved aside, rebuilt, sign in again
  'NOT_FOUND',
  'UNSUPPORTED', // the feature is not available in this shell (e.g. updates in the browser)
  'SHELL_DISCONNECTED', // the UI lost its shell (the web shell or the core's thread went away)
  'FILE_EMPTY', // a file of 0 bytes: nothing to send
  'FILE_UNREADABLE', // the file could not be read on this device (moved, deleted, no permission)
  'FILE_DAMAGED', // a received file failed its checks (altered, truncated): nothing of it is shown
  'FILE_GONE', // a forwarded file is neither on the server any more (its retention ran out) nor on this device
  'SERVER_STORAGE_FULL', // the server's storage is full: the upload was refused and nothing was stored
  'CANCELLED', // the user stopped the transfer
  'INTERNAL',
] as const;

export type LocalErrorCode = (typeof localErrorCodes)[number];

export type ErrorCode = ResultCodeName | LocalErrorCode;

const allCodes: ReadonlySet<string> = new Set<string>([...Object.keys(resultCodeNames), ...localErrorCodes]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && allCodes.has(value);
}

export interface ErrorInfo {
  code: ErrorCode;
  /** English, for logs and as a fallback; the UI translates `code`. */
  message: string;
}
