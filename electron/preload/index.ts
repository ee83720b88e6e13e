/**
 * The sandboxed preload: exposes exactly the typed messenger API on
 * `window.tern` (shared/ipc/api.ts: one async function per method, one
 * `on<Event>` per event) and nothing else: no generic send, no ipcRenderer,
 * no process.
 *
 * Calls resolve with the value of the main process's CallResult or reject
 * with a plain `{ name: 'MessengerError', code, message }` object: the context
 * bridge copies plain objects intact but drops custom properties of Errors.
 * renderer/transport turns it into a MessengerError.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { callChannel, eventChannel, eventNames, methodNames, subscriptionName, type CallResult, type MessengerApi } from '../../shared/ipc';

function isCallResult(value: unknown): value is CallResult<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

async function invoke(method: string, args: unknown): Promise<unknown> {
  const result: unknown = await ipcRenderer.invoke(callChannel(method), args ?? {});
  if (!isCallResult(result)) throw { name: 'MessengerError', code: 'INTERNAL', message: `malformed reply to ${method}` };
  if (result.ok) return result.value;
  throw { name: 'MessengerError', code: result.error.code, message: result.error.message };
}

export function buildApi(): MessengerApi {
  const api: Record<string, unknown> = {};
  for (const method of methodNames) {
    api[method] = (args: unknown) => invoke(method, args);
  }
  for (const event of eventNames) {
    api[subscriptionName(event)] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const channel = eventChannel(event);
      // The IpcRendererEvent (it holds `sender`, an ipcRenderer) never reaches the page.
      const handler = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, handler);
      return () => {
        ipcRenderer.removeListener(channel, handler);
      };
    };
  }
  return api as unknown as MessengerApi;
}

contextBridge.exposeInMainWorld('tern', buildApi());
