/** What every service is built from. */
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { ServerConfig } from '../config';
import type { Store } from '../storage/store';
import type { EventLog } from './event-log';
import type { Notifier } from './notifier';

export interface ServiceDeps {
  store: Store;
  events: EventLog;
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
