/**
 * A TCP tunnel to host:port through a proxy: SOCKS5 (RFC 1928, username and
 * password per RFC 1929) or HTTP CONNECT (RFC 9110 §9.3.6, Basic
 * authentication). The result has the shape of a plain TCP connect: a socket
 * and a promise that settles when bytes can flow to the target; whatever the
 * proxy sent past its own reply is pushed back onto the socket for the
 * protocol above.
 *
 * The target's name is sent to the proxy unresolved (SOCKS5 domain address,
 * CONNECT authority), so the proxy resolves it: a client behind a proxy often
 * has no DNS of its own, and its lookups do not leak outside the proxy.
 *
 * Timeouts and cancellation are the caller's (it destroys the socket).
 * Credentials never appear in errors.
 */
import { connect, isIPv4, isIPv6, type Socket } from 'node:net';

export interface ProxyConfig {
  type: 'socks5' | 'http';
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export type ProxyErrorCode = 'PROXY_UNREACHABLE' | 'PROXY_AUTH_FAILED' | 'PROXY_REFUSED' | 'PROXY_PROTOCOL';

export class ProxyError extends Error {
  constructor(
    readonly code: ProxyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

/** Buffers what a socket sends until the handshake with the proxy has read what it needs. */
class HandshakeReader {
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.waiter?.();
  };
  private readonly onEnd = () => this.fail(new ProxyError('PROXY_PROTOCOL', 'the proxy closed the connection during its handshake'));
  private readonly onError = (err: Error) => this.fail(new ProxyError('PROXY_UNREACHABLE', `proxy connection failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`));

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.waiter?.();
  }

  private async until(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.until(() => this.buffered.length >= n);
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Bytes up to and including `delimiter`, at most `max` bytes. */
  async readUntil(delimiter: string, max: number): Promise<Buffer> {
    await this.until(() => this.buffered.includes(delimiter) || this.buffered.length > max);
    const end = this.buffered.indexOf(delimiter);
    if (end < 0 || end + delimiter.length > max) throw new ProxyError('PROXY_PROTOCOL', `the proxy's reply is longer than ${max} bytes`);
    const out = this.buffered.subarray(0, end + delimiter.length);
    this.buffered = this.buffered.subarray(end + delimiter.length);
    return out;
  }

  /**
   * Stops listening and gives what was read past the handshake back to the
   * socket. The caller attaches its own listeners in the same turn (before any
   * further I/O callback), so nothing arrives unheard.
   */
  release(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    if (this.buffered.length > 0) this.socket.unshift(this.buffered);
  }
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by the proxy’s rules',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused by the target',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

function socksAddress(host: string): Buffer {
  if (isIPv4(host)) return Buffer.from([0x01, ...host.split('.').map(Number)]);
  if (isIPv6(host)) {
    const parts = expandIPv6(host);
    const b = Buffer.alloc(17);
    b[0] = 0x04;
    parts.forEach((p, i) => b.writeUInt16BE(p, 1 + i * 2));
    return b;
  }
  const name = Buffer.from(host, 'utf8');
  if (name.length === 0 || name.length > 255) throw new ProxyError('PROXY_PROTOCOL', 'the server name is too long for SOCKS5');
  return Buffer.concat([Buffer.from([0x03, name.length]), name]);
}

function expandIPv6(host: string): number[] {
  const [head, tail] = host.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((x) => parseInt(x, 16));
}

async function socks5(reader: HandshakeReader, socket: Socket, proxy: ProxyConfig, host: string, port: number): Promise<void> {
  const withAuth = proxy.username !== undefined && proxy.username !== '';
  socket.write(Buffer.from(withAuth ? [0x05, 0x02, 0x00, 0x02] : [0x05, 0x01, 0x00]));
  const [version, method] = await reader.read(2);
  if (version !== 0x05) throw new ProxyError('PROXY_PROTOCOL', 'the proxy does not speak SOCKS5');
  if (method === 0xff) throw new ProxyError('PROXY_AUTH_FAILED', withAuth ? 'the SOCKS5 proxy accepts none of our authentication methods' : 'the SOCKS5 proxy requires a username and password');
  if (method === 0x02) {
    if (!withAuth) throw new ProxyError('PROXY_PROTOCOL', 'the proxy chose password authentication we did not offer');
    const user = Buffer.from(proxy.username!, 'utf8');
    const pass = Buffer.from(proxy.password ?? '', 'utf8');
    if (user.length > 255 || pass.length > 255) throw new ProxyError('PROXY_AUTH_FAILED', 'the proxy username or password is longer than SOCKS5 allows (255 bytes)');
    socket.write(Buffer.concat([Buffer.from([0x01, user.length]), user, Buffer.from([pass.length]), pass]));
    const [, status] = await reader.read(2);
    if (status !== 0x00) throw new ProxyError('PROXY_AUTH_FAILED', 'the SOCKS5 proxy rejected the username or password');
  } else if (method !== 0x00) {
    throw new ProxyError('PROXY_PROTOCOL', `the proxy chose an unknown authentication method ${method}`);
  }
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  socket.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), socksAddress(host), portBytes]));
  const [v, reply, , atyp] = await reader.read(4);
  if (v !== 0x05) throw new ProxyError('PROXY_PROTOCOL', 'the proxy answered the CONNECT request with a bad version');
  if (reply !== 0x00) throw new ProxyError('PROXY_REFUSED', `the SOCKS5 proxy could not connect: ${SOCKS_REPLIES[reply!] ?? `reply ${reply}`}`);
  // The bound address: its length depends on its type; it is read and ignored.
  if (atyp === 0x01) await reader.read(4 + 2);
  else if (atyp === 0x04) await reader.read(16 + 2);
  else if (atyp === 0x03) await reader.read((await reader.read(1))[0]! + 2);
  else throw new ProxyError('PROXY_PROTOCOL', `the proxy answered with an unknown address type ${atyp}`);
}

async function httpConnect(reader: HandshakeReader, socket: Socket, proxy: ProxyConfig, host: string, port: number): Promise<void> {
  if (/[\s\u0000-\u001f]/.test(host)) throw new ProxyError('PROXY_PROTOCOL', 'invalid server name');
  const authority = `${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.username) {
    if (/[\r\n]/.test(proxy.username + (proxy.password ?? ''))) throw new ProxyError('PROXY_AUTH_FAILED', 'the proxy username or password contains a line break');
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ''}`, 'utf8').toString('base64')}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = (await reader.readUntil('\r\n\r\n', 16 * 1024)).toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3})(?: ([^\r\n]*))?\r\n/.exec(head);
  if (!status) throw new ProxyError('PROXY_PROTOCOL', 'the proxy did not answer CONNECT with HTTP');
  const code = Number(status[1]);
  const reason = (status[2] ?? '').slice(0, 80);
  // 407 is the standard answer; some proxies (tinyproxy among them) send 401 to CONNECT.
  if (code === 407 || code === 401) throw new ProxyError('PROXY_AUTH_FAILED', proxy.username ? 'the HTTP proxy rejected the username or password' : 'the HTTP proxy requires a username and password');
  if (code < 200 || code > 299) throw new ProxyError('PROXY_REFUSED', `the HTTP proxy refused to connect: ${code} ${reason}`.trim());
}

/** Connects to the proxy and asks it for a tunnel to host:port. */
export function openTunnel(proxy: ProxyConfig, host: string, port: number): { socket: Socket; connected: Promise<void> } {
  const socket = connect({ host: proxy.host, port: proxy.port });
  const reader = new HandshakeReader(socket);
  const connected = (async () => {
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', (err: NodeJS.ErrnoException) => reject(new ProxyError('PROXY_UNREACHABLE', `cannot reach the proxy ${proxy.host}:${proxy.port}: ${err.code ?? err.message}`)));
      });
      if (proxy.type === 'socks5') await socks5(reader, socket, proxy, host, port);
      else await httpConnect(reader, socket, proxy, host, port);
      reader.release();
    } catch (err) {
      reader.release();
      throw err;
    }
  })();
  return { socket, connected };
}
