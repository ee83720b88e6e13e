/**
 * Runs operations (server/operations/) on the store for the services: stamps
 * each with the clock, and delivers a write's pushes once the store says its
 * commit is durable (that is when `store.write` resolves), before the caller
 * answers.
 */
import { ResultCode } from '../../shared/protocol';
import type { Clock } from '../clock';
import { StoreUnavailableError, type ReadOperation, type Store, type WriteOperation } from '../storage/store';
import type { Written } from '../operations/operation';
import { ServiceError } from './errors';
import type { Notifier } from './notifier';

/** How long a client is told to wait when the database is out of reach. */
const UNAVAILABLE_RETRY_MS = 1000;
/** …and when the server's disk is full (an operator has to free space: not a matter of a second). */
const DISK_FULL_RETRY_MS = 5000;

/** A store that cannot be reached, or whose disk is full, becomes the retryable UNAVAILABLE (nothing was done); other errors pass. */
function clientError(err: unknown): never {
  if (err instanceof StoreUnavailableError && err.diskFull) throw new ServiceError(ResultCode.UNAVAILABLE, 'the server is out of storage space; retry later', '', DISK_FULL_RETRY_MS);
  if (err instanceof StoreUnavailableError) throw new ServiceError(ResultCode.UNAVAILABLE, 'the database is unavailable; retry shortly', '', UNAVAILABLE_RETRY_MS);
  throw err;
}

export class Runner {
  constructor(
    readonly store: Store,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
  ) {}

  /** Resolves with the operation's value once durable, its pushes delivered (a `then`, not an `async` function: two promises fewer per write). */
  write<A, V>(op: WriteOperation<A, Written<V>>, args: A): Promise<V> {
    return this.store.write(op, args, this.clock.now()).then(this.deliver, clientError) as Promise<V>;
  }

  private readonly deliver = ({ value, pushes }: Written<unknown>): unknown => {
    if (pushes.length > 0) this.notifier.pushEvents(pushes);
    return value;
  };

  read<A, R>(op: ReadOperation<A, R>, args: A): Promise<R> {
    return this.store.read(op, args, this.clock.now()).catch(clientError);
  }
}
