/**
 * HTTP to the blob service (PROTOCOL.md §14.2): one request at a time with
 * node:http(s), a stall timeout (no byte either way for `stallMs` ends the
 * request), an AbortSignal, and the service's JSON errors turned into the
 * contract's error codes. Bodies are streamed, never buffered whole.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { openTunnel, type ProxyConfig } from '../../../shared/node/proxy/tunnel';
import { CoreError } from '../errors';

export interface BlobRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PATCH';
  url: string;
  headers: OutgoingHttpHeaders;
  /** Streamed; its bytes are reported through `onSent` as they go out. */
  body?: Readable;
  signal: AbortSignal;
  stallMs: number;
  onSent?(bytes: number): void;
  /** Reach the service through this proxy (the settings' one, as the TCP channel does). */
  proxy?: ProxyConfig;
}

/** An HTTP answer that is not a success, with the service's error code (`error` of its JSON body). */
export class BlobHttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'BlobHttpStatusError';
  }
}

/** Cut, refused, timed out: the request did not get an answer. Retryable. */
export class BlobNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobNetworkError';
  }
}

/**
 * Sends the request and resolves with the response once its headers
 * arrived (the caller reads or discards the body). Rejects with CANCELLED
 * when aborted, BlobNetworkError when cut or stalled.
 */
export function blobRequest(req: BlobRequest): Promise<IncomingMessage> {
  const url = new URL(req.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new CoreError('INTERNAL', 'the blob service URL is not http(s)'));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<IncomingMessage>((resolve, reject) => {
    if (req.signal.aborted) {
      reject(new CoreError('CANCELLED', 'transfer cancelled'));
      return;
    }
    let settled = false;
    // A connection of its own (no keep-alive pool): its stall timer and abort concern this transfer only.
    // Through a proxy: node:http takes a createConnection only without an agent (agent: false would make one).
    const options: RequestOptions = req.proxy
      ? { method: req.method, headers: req.headers, createConnection: tunnelled(req.proxy, url, req.stallMs) }
      : { method: req.method, headers: req.headers, agent: false };
    const outgoing = send(url, options);
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.signal.removeEventListener('abort', onAbort);
      req.body?.destroy();
      outgoing.destroy();
      reject(error);
    };
    const onAbort = () => fail(new CoreError('CANCELLED', 'transfer cancelled'));
    req.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.setTimeout(req.stallMs, () => fail(new BlobNetworkError(`no progress for ${req.stallMs} ms`)));
    outgoing.on('error', (err) => fail(new BlobNetworkError(err.message)));
    outgoing.on('response', (res) => {
      if (settled) {
        res.resume();
        return;
      }
      settled = true;
      req.signal.removeEventListener('abort', onAbort);
      // The response body is read under the same stall timeout and abort signal.
      res.socket?.once('timeout', () => res.destroy(new BlobNetworkError(`no progress for ${req.stallMs} ms`)));
      const abortBody = () => res.destroy(new CoreError('CANCELLED', 'transfer cancelled'));
      req.signal.addEventListener('abort', abortBody, { once: true });
      res.once('close', () => req.signal.removeEventListener('abort', abortBody));
      resolve(res);
    });
    if (!req.body) {
      outgoing.end();
      return;
    }
    req.body.on('data', (chunk: Buffer) => req.onSent?.(chunk.length));
    req.body.on('error', (err) => fail(err instanceof CoreError ? err : new CoreError('FILE_UNREADABLE', `reading the file failed: ${err.message}`)));
    req.body.pipe(outgoing);
  });
}

/**
 * A connection through the proxy (SOCKS5 or HTTP CONNECT, as the TCP channel
 * uses it), handed to node:http once the tunnel is up; TLS inside the tunnel
 * for https. The proxy's answer is bounded by the stall timeout too.
 */
function tunnelled(proxy: ProxyConfig, url: URL, stallMs: number): NonNullable<RequestOptions['createConnection']> {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return (_options, callback) => {
    const { socket, connected } = openTunnel(proxy, host, port);
    const timer = setTimeout(() => socket.destroy(new Error(`the proxy did not open a tunnel in ${stallMs} ms`)), stallMs);
    connected.then(
      () => {
        clearTimeout(timer);
        const stream: Socket = url.protocol === 'https:' ? tlsConnect({ socket, servername: host }) : socket;
        callback(null, stream);
      },
      (err: unknown) => {
        clearTimeout(timer);
        socket.destroy();
        callback(err instanceof Error ? err : new Error(String(err)), undefined as unknown as Socket);
      },
    );
    return undefined;
  };
}

/** Reads a (small) error body and turns a non-2xx response into a BlobHttpStatusError. */
export async function statusError(res: IncomingMessage): Promise<BlobHttpStatusError> {
  let text = '';
  try {
    for await (const chunk of res) {
      if (text.length < 4096) text += (chunk as Buffer).toString('utf8');
    }
  } catch {
    // a cut error body says nothing more
  }
  let code = '';
  let message = `HTTP ${res.statusCode}`;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = body.error;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON (tus answers some errors as text)
  }
  const retryAfter = Number(res.headers['retry-after']);
  return new BlobHttpStatusError(res.statusCode ?? 0, code, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0);
}

/** Drains a response whose body does not matter. */
export function discard(res: IncomingMessage): Promise<void> {
  return new Promise<void>((resolve) => {
    res.on('end', resolve);
    res.on('close', resolve);
    res.on('error', () => resolve());
    res.resume();
  });
}

/**
 * The contract's error for a blob service answer that ends a transfer: what
 * the user can act on (quota, limits, server disk full), or UNAVAILABLE for
 * what may pass (5xx, cut connections), which the caller retries.
 */
export function transferError(err: unknown): CoreError {
  if (err instanceof CoreError) return err;
  if (err instanceof BlobNetworkError) return new CoreError('UNAVAILABLE', `file transfer interrupted: ${err.message}`);
  if (err instanceof BlobHttpStatusError) {
    switch (err.status) {
      case 403:
        return err.code === 'quota-exceeded' ? new CoreError('QUOTA_EXCEEDED', err.message) : new CoreError('PERMISSION_DENIED', err.message);
      case 404:
        return new CoreError('NOT_FOUND', 'the file is no longer on the server');
      case 413:
        return new CoreError('FILE_TOO_LARGE', err.message);
      case 422:
        // Our bytes do not match the digest we announced: the staged file changed on disk.
        return new CoreError('FILE_UNREADABLE', `the server refused the upload: ${err.message}`);
      case 507:
        return new CoreError('SERVER_STORAGE_FULL', err.message);
      default:
        return new CoreError(err.status >= 500 ? 'UNAVAILABLE' : 'INTERNAL', `blob service: ${err.message}`);
    }
  }
  return new CoreError('INTERNAL', err instanceof Error ? err.message : String(err));
}
