/**
 * Where `npm start` and `npm run demo` put the JSON logs of what they run
 * (the embedded server, the web shell, the client core): a file by default,
 * so the terminal shows only lines for people, or stderr when asked
 * (`--logs stderr`). The file is private (0600) and rotated once it passes
 * 10 MiB (one previous file kept, `.1`).
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const rotateAtBytes = 10 * 1024 * 1024;

export interface StartLog {
  logger: Logger;
  /** The file, or "stderr". */
  where: string;
  /** An open file descriptor for other programs' output (the renderer build), or 2. */
  fd: number;
  close(): void;
}

export function openStartLog(target: string, level: LogLevel): StartLog {
  if (target === 'stderr') {
    return { logger: pino({ level }, pino.destination({ fd: 2, sync: true })), where: 'stderr', fd: 2, close() {} };
  }
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  if (existsSync(target) && statSync(target).size > rotateAtBytes) renameSync(target, `${target}.1`);
  const fd = openSync(target, 'a', 0o600);
  // Synchronous writes: a launcher that exits on Ctrl+C must not lose its last lines.
  const logger = pino({ level }, pino.destination({ fd, sync: true }));
  return { logger, where: target, fd, close: () => closeSync(fd) };
}
