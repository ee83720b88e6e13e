/** The subset of a pino logger both shells use (structured: object first). */
export interface ShellLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: ShellLog = { info() {}, warn() {}, error() {} };
