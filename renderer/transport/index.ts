/**
 * The renderer's one entry to the core. Under Electron the preload exposes
 * `window.tern`; in a browser the web shell serves the page and the contract
 * over a WebSocket. Nothing else in the UI knows which one is in use.
 */
import type { MessengerApi } from '../../shared/ipc';
import { wrapPreloadApi } from './preload-transport';
import { createWebSocketTransport, webSocketUrlFor } from './ws-transport';

export { shellDisconnected } from './errors';

let cached: MessengerApi | null = null;

export function getMessengerApi(): MessengerApi {
  if (cached) return cached;
  const bridge = (globalThis as { tern?: MessengerApi }).tern;
  cached = bridge ? wrapPreloadApi(bridge) : createWebSocketTransport({ url: webSocketUrlFor(window.location) }).api;
  return cached;
}
