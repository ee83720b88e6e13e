/** What every service is built from. */
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { ServerConfig } from '../config';
import type { Runner } from './runner';
import type { Notifier } from './notifier';

export interface ServiceDeps {
  /** Runs operations on the store and delivers their pushes. */
  run: Runner;
  notifier: Notifier;
  clock: Clock;
  config: ServerConfig;
  logger: Logger;
}

/** Who is asking: the logged-in user and the session (connection) they asked on. */
export interface Caller {
  userId: number;
  sessionId: number;
}
