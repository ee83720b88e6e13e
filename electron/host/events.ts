import { eventNames, type EventName, type EventSource, type MessengerEvents, type Unsubscribe } from '../../shared/ipc';

export type EventSink = <E extends EventName>(event: E, payload: MessengerEvents[E]) => void;

/**
 * Subscribes `sink` to every event of the contract that `source` emits.
 * Returns one function that removes all the subscriptions.
 */
export function forwardEvents(source: EventSource, sink: EventSink): Unsubscribe {
  const offs = eventNames.map((event) => source.on(event, (payload) => sink(event, payload)));
  return () => {
    for (const off of offs) off();
  };
}
