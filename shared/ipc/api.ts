/**
 * The API object the renderer sees (`window.tern` under Electron; the web
 * shell transport builds the same shape): one async function per method and
 * one subscription per event. Its type is the renderer's contract.
 */
import type { z } from 'zod';
import type { ErrorCode, ErrorInfo } from './errors';
import type { MessengerEvents, EventName, SubscriptionName } from './events';
import { methodSchemas, type CoreMethodName, type MethodName, type MethodResults } from './methods';
import type { HostMethods } from './host-methods';

export type Unsubscribe = () => void;

export type MessengerMethods = {
  [M in MethodName]: (args: z.input<(typeof methodSchemas)[M]>) => Promise<MethodResults[M]>;
};

export type MessengerSubscriptions = {
  [E in EventName as SubscriptionName<E>]: (listener: (payload: MessengerEvents[E]) => void) => Unsubscribe;
};

export type MessengerApi = MessengerMethods & MessengerSubscriptions;

/** What travels back for every call, over either transport. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

/** The error a renderer-side call rejects with. */
export class MessengerError extends Error {
  readonly code: ErrorCode;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = 'MessengerError';
    this.code = info.code;
  }
}

export type ParsedArgs<M extends MethodName> = z.output<(typeof methodSchemas)[M]>;

/**
 * Validates a method name and its argument as received from an untrusted
 * side (the renderer). Returns the parsed argument or an INVALID_ARGUMENT error.
 */
export function parseCall(
  method: unknown,
  args: unknown,
): { ok: true; method: MethodName; args: ParsedArgs<MethodName> } | { ok: false; error: ErrorInfo } {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(methodSchemas, method)) {
    return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `unknown method ${JSON.stringify(String(method)).slice(0, 80)}` } };
  }
  const name = method as MethodName;
  const parsed = methodSchemas[name].safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'argument';
    return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${name}: ${where}: ${issue?.message ?? 'invalid'}` } };
  }
  return { ok: true, method: name, args: parsed.data };
}

/**
 * What the messaging core implements (electron/core) and both shells serve:
 * every non-shell method, taking already-validated arguments, plus events.
 */
export type CoreMethods = {
  [M in CoreMethodName]: (args: z.output<(typeof methodSchemas)[M]>) => Promise<MethodResults[M]>;
};

export interface EventSource {
  on<E extends EventName>(event: E, listener: (payload: MessengerEvents[E]) => void): Unsubscribe;
}

/** Plus the methods only a shell calls (./host-methods.ts: they take paths on this computer). */
export type MessengerCore = CoreMethods & HostMethods & EventSource & { dispose(): Promise<void> };
