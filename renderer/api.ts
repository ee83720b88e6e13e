/**
 * The one place the renderer holds the messenger API. main.ts provides the
 * real transport (`getMessengerApi()`); component tests provide a fake object
 * of the same type. Only stores call `useApi()` (design guide: stores are the
 * only code that talks to the core).
 */
import type { MessengerApi } from '../shared/ipc';

let current: MessengerApi | null = null;

export function setMessengerApi(api: MessengerApi | null): void {
  current = api;
}

export function useApi(): MessengerApi {
  if (!current) throw new Error('messenger API not set: call setMessengerApi() before using stores');
  return current;
}
