/**
 * Runs operations (server/operations/) on the store for the services: stamps
 * each with the clock, and delivers a write's pushes once the store says its
 * commit is durable (that is when `store.write` resolves), before the caller
 * answers.
 */
import type { Clock } from '../clock';
import type { ReadOperation, Store, WriteOperation } from '../storage/store';
import type { Written } from '../operations/operation';
import type { Notifier } from './notifier';

export class Runner {
  constructor(
    readonly store: Store,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
  ) {}

  async write<A, V>(op: WriteOperation<A, Written<V>>, args: A): Promise<V> {
    const { value, pushes } = await this.store.write(op, args, this.clock.now());
    if (pushes.length > 0) this.notifier.pushEvents(pushes);
    return value;
  }

  read<A, R>(op: ReadOperation<A, R>, args: A): Promise<R> {
    return this.store.read(op, args, this.clock.now());
  }
}
