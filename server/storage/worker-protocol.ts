/**
 * Messages between the server's event loop and the SQLite worker thread
 * (sqlite-worker-store.ts <-> sqlite-worker.ts), and how errors cross: a
 * ServiceError keeps its protocol code, an unreachable store stays
 * retryable, anything else arrives as an Error with the worker's message
 * and stack.
 */
import { ServiceError } from '../services/errors';
import type { DurabilityMode } from './durability';
import { StoreUnavailableError, type StoreStats } from './store';

export interface WorkerInit {
  /** The worker's module (sqlite-worker.ts or .js), loaded by sqlite-worker-boot.cjs. */
  entry: string;
  file: string;
  durability: DurabilityMode;
  maxBatch?: number;
}

export interface Job {
  id: number;
  kind: 'write' | 'read';
  /** The operation's registered name (server/operations/index.ts). */
  name: string;
  args: unknown;
  now: number;
}

/** `stream`: the hot jobs in binary, with a tag for each listed job (worker-channel.ts); absent when none is hot. */
export type ToWorker = { type: 'jobs'; jobs: Job[]; stream?: Uint8Array } | { type: 'backup'; id: number; file: string } | { type: 'close' };

export type Result = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'failed'; error: WireError }
  | { type: 'results'; results: Result[]; stats: StoreStats; payloads?: PackedPayloads; stream?: Uint8Array }
  | { type: 'stats'; stats: StoreStats }
  | { type: 'syncError'; error: WireError }
  | { type: 'closed' };

/**
 * The push payloads of one 'results' message (writes' `pushes`, see
 * server/operations/operation.ts), moved into one buffer that is transferred
 * rather than copied: cloning them one by one costs an ArrayBuffer each on
 * both threads. In the results each payload is left empty; `lengths` gives
 * theirs, in the order the results and their pushes come.
 */
export interface PackedPayloads {
  bytes: Uint8Array<ArrayBuffer>;
  lengths: number[];
}

interface WithPushes {
  pushes: Array<{ payload: Uint8Array }>;
}

const EMPTY = new Uint8Array(0);

function pushesOf(result: Result): WithPushes['pushes'] | undefined {
  if (!result.ok || typeof result.value !== 'object' || result.value === null) return undefined;
  const pushes = (result.value as Partial<WithPushes>).pushes;
  return Array.isArray(pushes) ? pushes : undefined;
}

/** Moves the results' push payloads into one buffer (undefined when there are none); the worker side. */
export function packPayloads(results: Result[]): PackedPayloads | undefined {
  let total = 0;
  const lengths: number[] = [];
  for (const result of results) {
    for (const push of pushesOf(result) ?? []) {
      lengths.push(push.payload.length);
      total += push.payload.length;
    }
  }
  if (lengths.length === 0) return undefined;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const result of results) {
    for (const push of pushesOf(result) ?? []) {
      bytes.set(push.payload, at);
      at += push.payload.length;
      push.payload = EMPTY;
    }
  }
  return { bytes, lengths };
}

/** Puts the payloads back, as views of the one buffer; the event loop's side. */
export function unpackPayloads(results: Result[], packed: PackedPayloads): void {
  let at = 0;
  let i = 0;
  for (const result of results) {
    for (const push of pushesOf(result) ?? []) {
      const length = packed.lengths[i++]!;
      push.payload = packed.bytes.subarray(at, at + length);
      at += length;
    }
  }
}

export type WireError =
  | { kind: 'service'; code: number; message: string; field: string; retryAfterMs: number }
  | { kind: 'unavailable'; message: string; diskFull: boolean }
  | { kind: 'error'; name: string; message: string; stack?: string; code?: string };

export function toWire(err: unknown): WireError {
  if (err instanceof ServiceError) return { kind: 'service', code: err.code, message: err.message, field: err.field, retryAfterMs: err.retryAfterMs };
  if (err instanceof StoreUnavailableError) return { kind: 'unavailable', message: err.message, diskFull: err.diskFull };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { kind: 'error', name: err.name, message: err.message, stack: err.stack, code: typeof code === 'string' ? code : undefined };
  }
  return { kind: 'error', name: 'Error', message: String(err) };
}

export function fromWire(wire: WireError): Error {
  switch (wire.kind) {
    case 'service':
      return new ServiceError(wire.code, wire.message, wire.field, wire.retryAfterMs);
    case 'unavailable':
      return new StoreUnavailableError(wire.message, { diskFull: wire.diskFull });
    case 'error': {
      const err = new Error(wire.message) as Error & { code?: string };
      err.name = wire.name;
      if (wire.stack) err.stack = `${wire.stack}\n    (in the SQLite worker thread)`;
      if (wire.code) err.code = wire.code;
      return err;
    }
  }
}
