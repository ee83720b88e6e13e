// The proxy client (shared/node/proxy) against real proxies started here:
// microsocks (SOCKS5) and tinyproxy (HTTP CONNECT), with and without a
// password; then the Noise handshake through each, to a real loopback server.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyError} from '../../../shared/node/proxy/tunnel';
import { openTunnel, type ProxyConfig } from '../../../shared/node/proxy/tunnel';
import { connectSecure, SecureTransportError } from '../../../shared/node/transport/secure-connection';
import { ResultCode } from '../../../shared/protocol';
import { freePort } from '../../support/postgres';
import { startProxy, type TestProxy } from '../../support/proxies';
import { nextFrames, startLoopback, type Loopback } from './helpers';

const auth = { username: 'tern-user', password: 's3cret-pass' }; // tinyproxy's config takes no spaces
let echo: Server;
let echoPort: number;
let closedPort: number;
let socks: TestProxy;
let socksAuth: TestProxy;
let http: TestProxy;
let httpAuth: TestProxy;
let loopback: Loopback;

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as AddressInfo).port;
  closedPort = await freePort();
  [socks, socksAuth, http, httpAuth] = await Promise.all([startProxy('socks5'), startProxy('socks5', auth), startProxy('http'), startProxy('http', auth)]);
  loopback = await startLoopback();
}, 60_000);

afterAll(async () => {
  await Promise.all([socks, socksAuth, http, httpAuth].map((p) => p?.stop()));
  await new Promise<void>((r) => echo?.close(() => r()));
  await loopback?.close();
});

/** Opens a tunnel to the echo server, sends a line, and returns what came back. */
async function echoThrough(proxy: ProxyConfig, host = '127.0.0.1', port = echoPort): Promise<string> {
  const { socket, connected } = openTunnel(proxy, host, port);
  try {
    await connected;
    const reply = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('ping through the proxy');
    return await reply;
  } finally {
    socket.destroy();
  }
}

async function failure(proxy: ProxyConfig, port = echoPort): Promise<ProxyError> {
  const { socket, connected } = openTunnel(proxy, '127.0.0.1', port);
  try {
    await connected;
  } catch (err) {
    return err as ProxyError;
  } finally {
    socket.destroy();
  }
  throw new Error('the tunnel opened');
}

describe('SOCKS5 (microsocks)', () => {
  it('tunnels to an address and to a name the proxy resolves', async () => {
    expect(await echoThrough(socks.config)).toBe('ping through the proxy');
    expect(await echoThrough(socks.config, 'localhost')).toBe('ping through the proxy');
  });

  it('authenticates with a username and password, and says when they are wrong or missing', async () => {
    expect(await echoThrough(socksAuth.config)).toBe('ping through the proxy');
    const wrong = await failure({ ...socksAuth.config, password: 'nope' });
    expect(wrong).toMatchObject({ code: 'PROXY_AUTH_FAILED' });
    expect(wrong.message).not.toContain('nope');
    expect(await failure({ type: 'socks5', host: '127.0.0.1', port: socksAuth.config.port })).toMatchObject({ code: 'PROXY_AUTH_FAILED', message: expect.stringMatching(/requires a username/) });
  });

  it('reports a target the proxy cannot reach', async () => {
    expect(await failure(socks.config, closedPort)).toMatchObject({ code: 'PROXY_REFUSED', message: expect.stringMatching(/SOCKS5 proxy could not connect/) });
  });
});

describe('HTTP CONNECT (tinyproxy)', () => {
  it('tunnels to an address and to a name', async () => {
    expect(await echoThrough(http.config)).toBe('ping through the proxy');
    expect(await echoThrough(http.config, 'localhost')).toBe('ping through the proxy');
  });

  it('authenticates with Basic, and says when the password is wrong or missing (407, or 401 as tinyproxy sends)', async () => {
    expect(await echoThrough(httpAuth.config)).toBe('ping through the proxy');
    const wrong = await failure({ ...httpAuth.config, password: 'nope' });
    expect(wrong).toMatchObject({ code: 'PROXY_AUTH_FAILED' });
    expect(await failure({ type: 'http', host: '127.0.0.1', port: httpAuth.config.port })).toMatchObject({ code: 'PROXY_AUTH_FAILED', message: expect.stringMatching(/requires a username/) });
  });

  it('reports a target the proxy cannot reach', async () => {
    expect(await failure(http.config, closedPort)).toMatchObject({ code: 'PROXY_REFUSED', message: expect.stringMatching(/HTTP proxy refused to connect: 5\d\d/) });
  });
});

describe('proxy failures of any kind', () => {
  it('no proxy listening, or something that is not a proxy', async () => {
    expect(await failure({ type: 'socks5', host: '127.0.0.1', port: closedPort })).toMatchObject({ code: 'PROXY_UNREACHABLE', message: expect.stringMatching(/ECONNREFUSED/) });
    expect(await failure({ type: 'http', host: '127.0.0.1', port: closedPort })).toMatchObject({ code: 'PROXY_UNREACHABLE' });
    // An echo server answers SOCKS5's greeting with the greeting itself: not a SOCKS5 reply.
    expect((await failure({ type: 'socks5', host: '127.0.0.1', port: echoPort })).code).toMatch(/PROXY_PROTOCOL|PROXY_AUTH_FAILED/);
    expect(await failure({ type: 'http', host: '127.0.0.1', port: echoPort }, echoPort)).toMatchObject({ code: 'PROXY_PROTOCOL' });
  });
});

describe('the secure transport through a proxy', () => {
  for (const name of ['socks', 'socksAuth', 'http', 'httpAuth'] as const) {
    it(`completes the Noise handshake and carries frames (${name})`, async () => {
      const proxy = { socks, socksAuth, http, httpAuth }[name].config;
      const accepted = loopback.accepted.length;
      const { connection } = await connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: { protocolVersion: 1, clientName: 'proxy-test' }, proxy });
      const server = await loopback.accepted[accepted]!;
      try {
        const got = nextFrames(server, 1);
        connection.send({ serial: 7, command: 1, code: 0, payload: new Uint8Array([1, 2, 3]) });
        expect((await got)[0]).toMatchObject({ serial: 7 });
      } finally {
        connection.destroy();
        server.destroy();
      }
    });
  }

  it('a proxy failure is a transport error with the proxy’s reason', async () => {
    const err = await connectSecure({ host: '127.0.0.1', port: loopback.port, serverPublicKey: loopback.staticKey.publicKey, hello: { protocolVersion: 1, clientName: 'x' }, proxy: { ...socksAuth.config, password: 'wrong' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecureTransportError);
    expect(err).toMatchObject({ code: ResultCode.INTERNAL, message: expect.stringMatching(/via proxy 127\.0\.0\.1:\d+: the SOCKS5 proxy rejected the username or password/) });
  });
});
