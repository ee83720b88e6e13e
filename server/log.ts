/**
 * Structured logs (pino, JSON lines) on stderr, so stdout stays for the two
 * lines a launcher parses. Never log message bodies, passwords, tokens or keys:
 * the redact list is a safety net, not the policy.
 */
import pino, { type Logger } from 'pino';
import type { ServerConfig } from './config';

export function createLogger(level: ServerConfig['logLevel']): Logger {
  return pino(
    {
      level,
      base: { svc: 'tern-server' },
      redact: { paths: ['password', 'deviceToken', 'device_token', 'text', '*.password', '*.deviceToken', '*.text', 'privateKey'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * Keeps stderr JSON-only for what Node itself would print there: process
 * warnings (deprecations, experimental features) become `warn` records
 * instead of Node's plain-text lines, and an uncaught exception or unhandled
 * rejection is logged as one `fatal` record before the process exits 1 (Node
 * would print a bare stack trace). Returns a function that undoes it.
 */
export function routeProcessEvents(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const defaults = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (warning: Error & { code?: string }) => logger.warn({ warning: { name: warning.name, code: warning.code, message: warning.message } }, 'node warning');
  const onFatal = (err: unknown, what: string) => {
    logger.fatal({ err }, what);
    logger.flush(() => exit(1));
  };
  const onException = (err: Error) => onFatal(err, 'uncaught exception');
  const onRejection = (reason: unknown) => onFatal(reason, 'unhandled rejection');
  process.on('warning', onWarning);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('warning', onWarning);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
    for (const listener of defaults) process.on('warning', listener);
  };
}
