/**
 * The web shell: the renderer over HTTP and the `shared/ipc` contract over a
 * WebSocket, on 127.0.0.1 only, guarded by a per-launch secret. See README.md.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { CallResult, EventName, MessengerCore, MessengerEvents } from '../../shared/ipc';
import { webShellHandlers } from '../host/app-info';
import { contentSecurityPolicy, hardeningHeaders } from '../host/csp';
import { createDispatcher, type Dispatch } from '../host/dispatch';
import { forwardEvents } from '../host/events';
import { checkAccess, describeRequest, type AccessPolicy } from './access';
import { accessPage, accessPageCsp } from './access-page';
import { defaultLog, type ShellLog } from './log';
import { TokenBucket } from './rate-limit';
import { serveStatic } from './static-files';

export interface WebShellLimits {
  /** Largest accepted WebSocket message, bytes (ws `maxPayload`). */
  maxMessageBytes: number;
  /** Token bucket per connection: burst and sustained calls per second. */
  callBurst: number;
  callsPerSecond: number;
  /** Calls of one connection being served at once. */
  maxInFlight: number;
  /** A connection whose unsent events exceed this is closed (it reconnects and refreshes). */
  maxBufferedBytes: number;
  /** Open WebSocket connections (tabs) at once. */
  maxConnections: number;
}

export const defaultWebShellLimits: WebShellLimits = {
  maxMessageBytes: 256 * 1024,
  callBurst: 200,
  callsPerSecond: 100,
  maxInFlight: 64,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxConnections: 8,
};

export interface WebShellOptions {
  /** A core the caller owns (not disposed by close()). */
  core?: MessengerCore;
  /** Or a factory: the web shell owns that core and disposes it on close(). */
  coreFactory?: () => Promise<MessengerCore>;
  /** 0 (default) = any free port. */
  port?: number;
  /** Loopback only; '127.0.0.1' is the only accepted value. */
  host?: '127.0.0.1';
  /** The built renderer; default `out/renderer` of this repository. */
  rendererDir?: string;
  log?: ShellLog;
  /** Reported by getAppInfo; default package.json's version. */
  version?: string;
  /** Default: 32 random bytes, base64url. */
  secret?: string;
  limits?: Partial<WebShellLimits>;
  /** Clock for the rate limiter (tests). */
  now?: () => number;
}

export interface WebShell {
  /** The URL to open, secret included: `http://127.0.0.1:PORT/?k=SECRET`. */
  readonly url: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly core: MessengerCore;
  /** Open WebSocket connections. */
  connectionCount(): number;
  close(): Promise<void>;
}

export const webSocketPath = '/ws';

const defaultRendererDir = fileURLToPath(new URL('../../out/renderer', import.meta.url));

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

interface CallMessage {
  id: number | string;
  method: unknown;
  args: unknown;
}

function parseCallMessage(data: RawData, isBinary: boolean): CallMessage | null {
  if (isBinary) return null;
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const rec = value as Record<string, unknown>;
  const id = rec.id;
  const idOk = (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && id.length > 0 && id.length <= 64);
  if (!idOk) return null;
  return { id: id as number | string, method: rec.method, args: rec.args };
}

export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('the web shell binds to 127.0.0.1 only');
  if (!options.core === !options.coreFactory) throw new Error('startWebShell needs exactly one of core or coreFactory');
  const log = options.log ?? defaultLog('web-shell');
  const limits: WebShellLimits = { ...defaultWebShellLimits, ...options.limits };
  const now = options.now ?? Date.now;
  const rendererDir = options.rendererDir ?? defaultRendererDir;
  const version = options.version ?? packageVersion();
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  const ownsCore = !options.core;
  const core = options.core ?? (await options.coreFactory!());

  const dispatch: Dispatch = createDispatcher(
    core,
    webShellHandlers(version),
    log,
  );

  const sockets = new Set<Socket>();
  const server = createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${port}`;
  const policy: AccessPolicy = { origin, hostHeader: `${host}:${port}`, secret, cookieName: `tern_k_${port}` };
  const headers: Record<string, string> = {
    ...hardeningHeaders,
    'Content-Security-Policy': contentSecurityPolicy({ webSocketOrigin: `ws://${host}:${port}` }),
  };

  const refuse = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handleRequest(req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'web shell request failed');
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const access = checkAccess(req, url, policy, false);
    if (!access.ok) {
      log.warn({ ...describeRequest(req, url), reason: access.reason }, 'web shell refused a request');
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
        // A person opened the address without its key: say what to do instead of a bare "forbidden".
        res.writeHead(403, { ...hardeningHeaders, 'Content-Security-Policy': accessPageCsp, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(accessPage(access.reason, origin, req.headers['accept-language']));
      } else refuse(res, 403, 'forbidden');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      refuse(res, 405, 'method not allowed');
      return;
    }
    const extra: Record<string, string> = { ...headers };
    if (access.viaQuery) {
      // The page's assets come without ?k=: a cookie scoped to this port's name proves the secret for them.
      extra['Set-Cookie'] = `${policy.cookieName}=${secret}; Path=/; HttpOnly; SameSite=Strict`;
    }
    const result = await serveStatic(rendererDir, url.pathname, req.method, res, extra);
    if (result === 'not-found' && url.pathname === '/favicon.ico') {
      res.writeHead(204, { ...headers, 'Cache-Control': 'no-cache' });
      res.end();
    } else if (result === 'not-found') refuse(res, 404, 'not found');
    else if (result === 'no-renderer') refuse(res, 503, 'The renderer is not built: run `npm run build` (or `npm start`, which builds it).');
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', origin);
    const access = url.pathname === webSocketPath ? checkAccess(req, url, policy, true) : ({ ok: false, reason: 'path' } as const);
    if (!access.ok || clients.size >= limits.maxConnections) {
      const reason = access.ok ? 'too-many-connections' : access.reason;
      log.warn({ ...describeRequest(req, url), reason }, 'web shell refused a WebSocket');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function send(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > limits.maxBufferedBytes) {
      log.warn({ buffered: ws.bufferedAmount }, 'web shell client too slow, closing');
      ws.close(1013, 'too slow');
      return;
    }
    ws.send(text);
  }

  function onConnection(ws: WebSocket): void {
    clients.add(ws);
    const bucket = new TokenBucket(limits.callBurst, limits.callsPerSecond, now);
    let inFlight = 0;
    ws.on('close', () => clients.delete(ws));
    ws.on('error', (error) => log.warn({ err: error.message }, 'web shell socket error'));
    ws.on('message', (data, isBinary) => {
      const msg = parseCallMessage(data, isBinary);
      if (!msg) {
        log.warn({}, 'web shell closed a connection that sent a malformed message');
        ws.close(1007, 'malformed message');
        return;
      }
      const reply = (result: CallResult<unknown>) => send(ws, JSON.stringify({ id: msg.id, result }));
      if (!bucket.tryTake()) {
        reply({ ok: false, error: { code: 'RATE_LIMITED', message: 'too many calls' } });
        return;
      }
      if (inFlight >= limits.maxInFlight) {
        reply({ ok: false, error: { code: 'RATE_LIMITED', message: 'too many calls in flight' } });
        return;
      }
      inFlight += 1;
      void dispatch(msg.method, msg.args).then((result) => {
        inFlight -= 1;
        reply(result);
      });
    });
  }

  const broadcast = <E extends EventName>(event: E, payload: MessengerEvents[E]) => {
    if (clients.size === 0) return;
    const text = JSON.stringify({ event, payload });
    for (const ws of clients) send(ws, text);
  };
  const stopEvents = forwardEvents(core, broadcast);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      stopEvents();
      for (const ws of clients) ws.close(1001, 'shutting down');
      await new Promise<void>((done) => wss.close(() => done()));
      for (const ws of clients) ws.terminate();
      await new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      });
      if (ownsCore) await core.dispose();
    })();
    return closing;
  };

  log.info({ origin }, 'web shell listening');
  return {
    url: `${origin}/?k=${encodeURIComponent(secret)}`,
    port,
    origin,
    core,
    connectionCount: () => clients.size,
    close,
  };
}
