/**
 * Ownership of resources (timers, listeners, sockets, threads), in the habit
 * of VS Code's `lifecycle.ts`: whatever creates a resource registers it with
 * the object that owns it, and disposing the owner releases everything it
 * holds, last acquired first. Nothing outlives its owner.
 */
export interface Disposable {
  dispose(): void;
}

/** A Disposable that runs `release` once, however often it is disposed. */
export function toDisposable(release: () => void): Disposable {
  let released = false;
  return {
    dispose() {
      if (released) return;
      released = true;
      release();
    },
  };
}

/**
 * A set of disposables disposed together. Adding to a store that is already
 * disposed disposes the item at once (a late timer or listener cannot leak).
 * If items throw while being disposed, the others are still disposed and the
 * error (or an AggregateError of several) is thrown afterwards.
 */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  add<T extends Disposable>(item: T): T {
    if (this.disposed) {
      item.dispose();
      return item;
    }
    this.items.add(item);
    return item;
  }

  /** Registers a release function (e.g. the unsubscribe returned by `on`). */
  addCallback(release: () => void): Disposable {
    return this.add(toDisposable(release));
  }

  /** Disposes one item now and forgets it. */
  delete(item: Disposable): void {
    if (this.items.delete(item)) item.dispose();
  }

  /** Disposes everything held so far; the store stays usable. */
  clear(): void {
    const items = [...this.items].reverse();
    this.items.clear();
    const errors: unknown[] = [];
    for (const item of items) {
      try {
        item.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clear();
  }
}
