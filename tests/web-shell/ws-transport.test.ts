// The renderer's WebSocket transport against the real web shell (fake core).
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MessengerError, type ConnectionStatus } from '../../shared/ipc';
import { silentLog, startWebShell, type WebShell } from '../../electron/web-shell';
import { createWebSocketTransport, webSocketUrlFor, type WebSocketLike, type WebSocketTransport } from '../../renderer/transport/ws-transport';
import { wrapPreloadApi } from '../../renderer/transport/preload-transport';
import { createFakeCore, sampleSettings } from '../support/fake-core';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function shellWith(core = createFakeCore(), port = 0, secret?: string): Promise<WebShell> {
  const shell = await startWebShell({ core, port, log: silentLog, rendererDir: '/nonexistent', ...(secret ? { secret } : {}) });
  cleanup.push(() => shell.close());
  return shell;
}

function transportFor(shell: WebShell, opts: { connectWaitMs?: number } = {}): WebSocketTransport {
  const page = new URL(shell.url);
  const url = webSocketUrlFor({ protocol: page.protocol, host: page.host, search: page.search });
  const t = createWebSocketTransport({
    url,
    // A browser sends its Origin by itself; the ws package needs it spelled out.
    createSocket: (u) => new WebSocket(u, { origin: shell.origin }) as unknown as WebSocketLike,
    reconnectInitialMs: 20,
    reconnectMaxMs: 50,
    ...opts,
  });
  cleanup.push(() => t.close());
  return t;
}

describe('renderer WebSocket transport', () => {
  it('calls methods, receives events and rejects with MessengerError codes', async () => {
    const core = createFakeCore();
    const shell = await shellWith(core);
    const { api } = transportFor(shell);
    expect(await api.getSettings({})).toEqual(sampleSettings);
    expect((await api.getAppInfo({})).shell).toBe('web');

    const seen: number[] = [];
    const off = api.onUnreadTotal((p) => seen.push(p.total));
    core.emit('unreadTotal', { total: 3 });
    await expect.poll(() => seen).toEqual([3]);
    off();
    core.emit('unreadTotal', { total: 4 });
    await api.getSettings({}); // a round trip later, the unsubscribed listener has not fired
    expect(seen).toEqual([3]);

    const err = await api.sendMessage({ key: 'bad' as 'u:1', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessengerError);
    expect((err as MessengerError).code).toBe('INVALID_ARGUMENT');
  });

  it('reconnects when the host restarts, rejects calls lost in between, and refreshes the connection state', async () => {
    const first = createFakeCore({
      getConnectionStatus: async () => ({ state: 'online' }) satisfies ConnectionStatus,
      loadMessages: () => new Promise(() => undefined), // never answers: in flight when the host goes away
    });
    const shell = await shellWith(first, 0, 'fixed-secret-for-restart');
    const t = transportFor(shell);
    const states: string[] = [];
    t.api.onConnectionState((s) => states.push(`${s.state}${s.lastError ? `:${s.lastError.code}` : ''}`));
    await t.api.getSettings({});
    const inFlight = t.api.loadMessages({ key: 'u:1' }).catch((e: unknown) => e);
    await expect.poll(() => first.calls.some((c) => c.method === 'loadMessages')).toBe(true);
    await shell.close();
    const lost = await inFlight;
    expect(lost).toBeInstanceOf(MessengerError);
    expect((lost as MessengerError).code).toBe('SHELL_DISCONNECTED');
    await expect.poll(() => states).toContain('offline:SHELL_DISCONNECTED');

    // A call made while the host is down waits for the new host.
    const second = createFakeCore({ getConnectionStatus: async () => ({ state: 'syncing' }) satisfies ConnectionStatus });
    const waiting = t.api.getSettings({});
    await shellWith(second, shell.port, 'fixed-secret-for-restart');
    expect(await waiting).toEqual(sampleSettings);
    await expect.poll(() => states.at(-1)).toBe('syncing');
  });

  it('rejects with SHELL_DISCONNECTED when no host answers in time', async () => {
    const shell = await shellWith();
    const port = shell.port;
    await shell.close();
    const t = createWebSocketTransport({
      url: `ws://127.0.0.1:${port}/ws?k=x`,
      createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
      connectWaitMs: 50,
      reconnectInitialMs: 20,
    });
    cleanup.push(() => t.close());
    const err = await t.api.listFriends({}).catch((e: unknown) => e);
    expect((err as MessengerError).code).toBe('SHELL_DISCONNECTED');
  });

  it('needs the secret in the page URL', () => {
    expect(() => webSocketUrlFor({ protocol: 'http:', host: '127.0.0.1:1', search: '' })).toThrow(/secret/);
    expect(webSocketUrlFor({ protocol: 'http:', host: '127.0.0.1:5', search: '?k=a%2Bb' })).toBe('ws://127.0.0.1:5/ws?k=a%2Bb');
  });
});

describe('preload transport wrapper', () => {
  it('turns the preload’s plain error objects into MessengerError and passes subscriptions through', async () => {
    const bridge: Record<string, unknown> = {};
    const { methodNames, eventNames, subscriptionName } = await import('../../shared/ipc');
    for (const m of methodNames) bridge[m] = () => Promise.reject({ name: 'MessengerError', code: 'NOT_LOGGED_IN', message: 'log in first' });
    const unsub = () => undefined;
    for (const e of eventNames) bridge[subscriptionName(e)] = () => unsub;
    bridge.getSettings = () => Promise.resolve(sampleSettings);
    const api = wrapPreloadApi(bridge as never);
    expect(await api.getSettings({})).toEqual(sampleSettings);
    const err = await api.listFriends({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessengerError);
    expect(err).toMatchObject({ code: 'NOT_LOGGED_IN', message: 'log in first' });
    expect(api.onTyping(() => undefined)).toBe(unsub);
  });
});
