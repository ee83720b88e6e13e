/**
 * The contract on a message channel: the web shell's WebSocket carries these
 * frames as JSON text, the core's thread port as structured clones.
 *
 *   caller -> core   { id, method, args }
 *   core -> caller   { id, result }        (a CallResult)
 *   core -> caller   { event, payload }    (a MessengerEvents entry)
 */
import type { CallResult } from './api';
import type { EventName, MessengerEvents } from './events';

export interface CallFrame {
  id: number | string;
  method: string;
  args: unknown;
}

export interface ResultFrame {
  id: number | string;
  result: CallResult<unknown>;
}

export interface EventFrame<E extends EventName = EventName> {
  event: E;
  payload: MessengerEvents[E];
}
