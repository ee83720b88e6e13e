/**
 * How operations are declared. An operation is the part of a request that
 * needs the database: it runs whole inside one transaction of whichever
 * backend holds the data (for SQLite on the thread that owns the
 * connection), so it must not touch anything but its context and arguments.
 * Services (server/services/) check the request, run the operation and
 * deliver what it returns.
 */
import type { ReadOperation, Tx, WriteOperation } from '../storage/store';
import { EventWriter, type PendingPush } from './events';

export interface ReadContext {
  tx: Tx;
  /** The clock reading of the request (time is injected, never read here). */
  now: number;
}

export interface WriteContext extends ReadContext {
  /** Sync events to store with this transaction and push after it. */
  events: EventWriter;
}

/** What a write operation gives back: its value and the pushes its events make. */
export interface Written<V> {
  value: V;
  pushes: PendingPush[];
}

export function writeOperation<A, V>(
  name: string,
  body: (ctx: WriteContext, args: A) => Promise<V>,
  options: { batchKey?: (args: A) => string | undefined } = {},
): WriteOperation<A, Written<V>> {
  return {
    kind: 'write',
    name,
    batchKey: options.batchKey,
    async run(tx, args, now) {
      const events = new EventWriter(tx);
      const value = await body({ tx, now, events }, args);
      return { value, pushes: await events.flush() };
    },
  };
}

export function readOperation<A, V>(name: string, body: (ctx: ReadContext, args: A) => Promise<V>): ReadOperation<A, V> {
  return { kind: 'read', name, run: (tx, args, now) => body({ tx, now }, args) };
}
