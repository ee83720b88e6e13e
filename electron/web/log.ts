import pino from 'pino';

/** The subset of a pino logger the shells use (structured: object first). */
export interface ShellLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: ShellLog = { info() {}, warn() {}, error() {} };

export function defaultLog(name: string): ShellLog {
  return pino({ name, level: process.env.TERN_LOG_LEVEL ?? 'info' });
}
