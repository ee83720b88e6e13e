/**
 * The thread side of the core's port: builds nothing, only serves a core on
 * a port. Every call is validated again with the contract's schemas (the
 * port is a boundary too), answered with a CallResult, and every event of
 * the core goes out as an event frame.
 */
import { eventNames, hostMethodSchemas, isHostMethod, isShellMethod, parseCall, type CallResult, type HostMethodName } from '../../../shared/ipc';
import { DisposableStore } from '../../../shared/util/disposable';
import type { ClientCore } from '../core';
import { toErrorInfo } from '../errors';
import type { HostToThread, ThreadToHost } from './protocol';

/** The part of a MessagePort this needs (node:worker_threads' parentPort or a MessageChannel port). */
export interface PortLike {
  postMessage(message: ThreadToHost): void;
  on(event: 'message', listener: (message: HostToThread) => void): unknown;
  off(event: 'message', listener: (message: HostToThread) => void): unknown;
}

/** Serves `core` on `port` until the host asks to dispose; resolves then, once the core is disposed. */
export function serveCore(core: ClientCore, port: PortLike): Promise<void> {
  const store = new DisposableStore();
  for (const event of eventNames) store.addCallback(core.on(event, (payload) => port.postMessage({ event, payload } as ThreadToHost)));
  return new Promise<void>((resolve) => {
    const onMessage = (message: HostToThread) => {
      if ('control' in message) {
        if (message.control === 'probe') core.probe();
        else if (message.control === 'dispose') {
          store.dispose();
          port.off('message', onMessage);
          void core.dispose().finally(() => {
            port.postMessage({ control: 'disposed' });
            resolve();
          });
        }
        return;
      }
      void call(core, message.method, message.args).then((result) => port.postMessage({ id: message.id, result }));
    };
    port.on('message', onMessage);
    port.postMessage({ control: 'ready' });
  });
}

async function call(core: ClientCore, method: string, args: unknown): Promise<CallResult<unknown>> {
  // The port is the host's own: it may also call the host-only methods (paths on this computer).
  if (isHostMethod(method)) return callHost(core, method, args);
  const parsed = parseCall(method, args);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  if (isShellMethod(parsed.method)) return { ok: false, error: { code: 'UNSUPPORTED', message: `${parsed.method} is served by the shell` } };
  try {
    // parseCall returned the schema output for exactly this method name.
    const fn = core[parsed.method] as (a: unknown) => Promise<unknown>;
    return { ok: true, value: await fn.call(core, parsed.args) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

async function callHost(core: ClientCore, method: HostMethodName, args: unknown): Promise<CallResult<unknown>> {
  const parsed = hostMethodSchemas[method].safeParse(args ?? {});
  if (!parsed.success) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${method}: ${parsed.error.issues[0]?.message ?? 'invalid'}` } };
  try {
    const fn = core[method] as (a: unknown) => Promise<unknown>;
    return { ok: true, value: await fn.call(core, parsed.data) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}
