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

/** A tiny typed event hub for events the shell itself emits (updateStatus, openConversation). */
export class ShellEvents implements EventSource {
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  on<E extends EventName>(event: E, listener: (payload: MessengerEvents[E]) => void): Unsubscribe {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => {
      set.delete(listener as (payload: never) => void);
    };
  }

  emit<E extends EventName>(event: E, payload: MessengerEvents[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      (listener as (p: MessengerEvents[E]) => void)(payload);
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
