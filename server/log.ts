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
