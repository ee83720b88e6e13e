/**
 * The MessengerApi over the web shell's WebSocket: `{id, method, args}` out,
 * `{id, result}` and `{event, payload}` in. Reconnects with back-off.
 */
import {
  eventNames,
  methodNames,
  subscriptionName,
  type CallResult,
  type EventName,
  type MessengerApi,
  type MessengerEvents,
  type Unsubscribe,
} from '../../shared/ipc';
import { MessengerError } from '../../shared/ipc/api';
import { shellDisconnected, toMessengerError } from './errors';

/** The part of the DOM WebSocket this transport uses (the `ws` package fits too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WebSocketTransportOptions {
  /** `ws://127.0.0.1:PORT/ws?k=SECRET` */
  url: string;
  createSocket?: (url: string) => WebSocketLike;
  timers?: Timers;
  /** How long a call waits for a connection before rejecting; default 10 s. */
  connectWaitMs?: number;
  /** Reconnect back-off: first delay and cap, ms. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

export interface WebSocketTransport {
  api: MessengerApi;
  /** Stops reconnecting and closes the socket; pending calls reject. */
  close(): void;
}

const OPEN = 1;

interface Pending {
  resolve(value: unknown): void;
  reject(error: MessengerError): void;
  /** Serialised call, kept until sent. */
  frame: string;
  sent: boolean;
  timer: unknown;
}

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);
  const timers = options.timers ?? defaultTimers;
  const connectWaitMs = options.connectWaitMs ?? 10_000;
  const initialDelay = options.reconnectInitialMs ?? 250;
  const maxDelay = options.reconnectMaxMs ?? 5_000;

  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let everOpened = false;
  let closed = false;
  let delay = initialDelay;
  let reconnectTimer: unknown = null;

  function emit<E extends EventName>(event: E, payload: MessengerEvents[E]): void {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        (listener as (p: MessengerEvents[E]) => void)(payload);
      } catch (error) {
        console.error('listener failed', event, error);
      }
    }
  }

  function settle(id: number, result: CallResult<unknown>): void {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    timers.clearTimeout(call.timer);
    if (result.ok) call.resolve(result.value);
    else call.reject(new MessengerError(result.error));
  }

  function fail(id: number, message: string): void {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    timers.clearTimeout(call.timer);
    call.reject(new MessengerError({ code: shellDisconnected, message }));
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    const rec = msg as { id?: unknown; result?: unknown; event?: unknown; payload?: unknown };
    if (typeof rec.id === 'number' && typeof rec.result === 'object' && rec.result !== null) {
      settle(rec.id, rec.result as CallResult<unknown>);
    } else if (typeof rec.event === 'string' && (eventNames as readonly string[]).includes(rec.event)) {
      emit(rec.event as EventName, rec.payload as never);
    }
  }

  function flush(): void {
    if (!socket || socket.readyState !== OPEN) return;
    for (const call of pending.values()) {
      if (!call.sent) {
        call.sent = true;
        socket.send(call.frame);
      }
    }
  }

  function connect(): void {
    if (closed) return;
    const ws = createSocket(options.url);
    socket = ws;
    ws.onopen = () => {
      const reconnected = everOpened;
      everOpened = true;
      delay = initialDelay;
      flush();
      if (reconnected) {
        // Events sent while we were away are lost: at least refresh the connection banner.
        call('getConnectionStatus', {}).then(
          (status) => emit('connectionState', status as MessengerEvents['connectionState']),
          () => undefined,
        );
      }
    };
    ws.onmessage = (ev) => onMessage(ev.data);
    ws.onerror = () => undefined; // onclose follows and handles it
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, c] of [...pending]) {
        if (c.sent) fail(id, 'the connection to the app host was lost');
      }
      if (closed) return;
      emit('connectionState', {
        state: 'offline',
        lastError: { code: shellDisconnected, message: 'the app host is not reachable' },
      });
      reconnectTimer = timers.setTimeout(() => {
        reconnectTimer = null;
        connect();
      }, delay);
      delay = Math.min(maxDelay, delay * 2);
    };
  }

  function call(method: string, args: unknown): Promise<unknown> {
    if (closed) return Promise.reject(new MessengerError({ code: shellDisconnected, message: 'transport closed' }));
    const id = nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        frame: JSON.stringify({ id, method, args: args ?? {} }),
        sent: false,
        timer: null,
      };
      pending.set(id, entry);
      if (socket && socket.readyState === OPEN) {
        entry.sent = true;
        socket.send(entry.frame);
      } else {
        entry.timer = timers.setTimeout(() => {
          if (!entry.sent) fail(id, 'the app host is not reachable');
        }, connectWaitMs);
      }
    }).catch((error: unknown) => {
      throw toMessengerError(error);
    });
  }

  const api: Record<string, unknown> = {};
  for (const method of methodNames) api[method] = (args: unknown) => call(method, args);
  for (const event of eventNames) {
    api[subscriptionName(event)] = (listener: (payload: never) => void): Unsubscribe => {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    };
  }

  connect();

  return {
    api: Object.freeze(api) as unknown as MessengerApi,
    close() {
      closed = true;
      if (reconnectTimer !== null) timers.clearTimeout(reconnectTimer);
      for (const id of [...pending.keys()]) fail(id, 'transport closed');
      socket?.close(1000, 'closing');
      socket = null;
    },
  };
}

/** The WebSocket URL of the web shell that served this page (`?k=` carried over). */
export function webSocketUrlFor(location: { protocol: string; host: string; search: string }): string {
  const secret = new URLSearchParams(location.search).get('k');
  if (!secret) throw new Error('this page was opened without the web shell secret (?k=...): open the URL the web shell printed');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?k=${encodeURIComponent(secret)}`;
}
