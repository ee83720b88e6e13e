/**
 * A tiny typed event emitter whose `on` returns the unsubscribe function.
 *
 * A listener that throws must not break the emitter's owner or the other
 * listeners, and must not go unnoticed either: every listener runs, then
 * each error goes to `onListenerError` (the core logs it). Without one, the
 * errors are thrown from `emit` once all listeners have run.
 */
export interface EmitterOptions {
  onListenerError?: (error: unknown, event: PropertyKey) => void;
}

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(private readonly options: EmitterOptions = {}) {}

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): () => void {
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

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    let errors: unknown[] | undefined;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    if (!errors) return;
    const report = this.options.onListenerError;
    if (report) {
      for (const error of errors) report(error, event);
      return;
    }
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} listeners of ${String(event)} threw`);
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  clear(): void {
    this.listeners.clear();
  }
}
