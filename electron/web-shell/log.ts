import pino from 'pino';
import type { ShellLog } from '../host/log';

export { silentLog, type ShellLog } from '../host/log';

export function defaultLog(name: string): ShellLog {
  return pino({ name, level: process.env.TERN_LOG_LEVEL ?? 'info' });
}
