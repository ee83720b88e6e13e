/**
 * The proxy setting end to end: a real core reaches a real server through
 * real proxies (microsocks, tinyproxy) started here; the connection really
 * runs through the proxy (stopping the proxy drops it); a broken proxy is a
 * clear connection error; fixing the setting while offline reconnects at once.
 */
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProxySettings, ServerEndpoint } from '../../shared/ipc';
import type { RunningServer } from '../../server/index';
import type { ClientCore } from '../../electron/core/index';
import { startProxy, type TestProxy } from '../support/proxies';
import { freePort } from '../support/postgres';
import { client, PASSWORD, waitFor, waitOnline } from './helpers/clients';
import { inProcessServer, tempDir } from './helpers/server';

let root: string;
let server: RunningServer;
let serverDir: string;
let endpoint: ServerEndpoint;
const live = new Set<ClientCore>();
const proxies: TestProxy[] = [];

beforeAll(async () => {
  root = tempDir('proxy');
  const s = await inProcessServer();
  server = s.server;
  serverDir = s.dataDir;
  endpoint = s.endpoint;
});

afterEach(async () => {
  for (const c of live) await c.dispose();
  live.clear();
  for (const p of proxies.splice(0)) await p.stop();
});

afterAll(async () => {
  await server.close();
  rmSync(serverDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

async function make(name: string): Promise<ClientCore> {
  const c = await client(root, name, [endpoint], { backoffInitialMs: 100, backoffMaxMs: 400, connectTimeoutMs: 3000 });
  live.add(c);
  return c;
}

const asSetting = (p: TestProxy): ProxySettings => ({ type: p.config.type, host: p.config.host, port: p.config.port, username: p.config.username ?? '', password: p.config.password ?? '' });

describe('proxy setting', () => {
  for (const type of ['socks5', 'http'] as const) {
    it(`signs up and stays online through a ${type} proxy with a password; the connection really runs through it`, async () => {
      const proxy = await startProxy(type, { username: 'tern', password: 'proxy-pass' });
      proxies.push(proxy);
      const c = await make(`via-${type}`);
      await c.updateSettings({ proxy: asSetting(proxy) });
      await c.register({ username: `via${type}`, password: PASSWORD });
      await waitOnline(c);
      // Stopping the proxy cuts the connection (it went through the proxy, not around it), and the
      // reconnect attempts go to the proxy too.
      await proxy.stop();
      proxies.splice(proxies.indexOf(proxy), 1);
      const status = await waitFor(async () => {
        const s = await c.getConnectionStatus({});
        return s.state !== 'online' && /cannot reach the proxy/.test(s.lastError?.message ?? '') ? s : null;
      }, 'reconnecting through the stopped proxy');
      expect(status.lastError!.code).toBe('SERVER_UNREACHABLE');
    });
  }

  it('a wrong proxy password is a connection error that names the proxy; fixing it reconnects at once', async () => {
    const proxy = await startProxy('socks5', { username: 'tern', password: 'right' });
    proxies.push(proxy);
    const c = await make('wrong-proxy');
    await c.register({ username: 'wrongproxy', password: PASSWORD }); // directly
    await waitOnline(c);
    await c.logout({ forget: false });
    await c.updateSettings({ proxy: { ...asSetting(proxy), password: 'wrong' } });
    // Signing in with the stored token opens the account offline and connects in the background.
    await c.login({ username: 'wrongproxy' });
    const status = await waitFor(async () => {
      const s = await c.getConnectionStatus({});
      return s.state === 'offline' && s.lastError ? s : null;
    }, 'the proxy refusal');
    expect(status.lastError).toMatchObject({ code: 'SERVER_UNREACHABLE', message: expect.stringMatching(/SOCKS5 proxy rejected the username or password/) });
    expect(status.lastError!.message).not.toContain('wrong');
    await c.updateSettings({ proxy: asSetting(proxy) }); // used from the next attempt (at once while offline)
    await waitOnline(c);
  });

  it('a proxy that is not there: the core says so, and going direct again works', async () => {
    const c = await make('no-proxy');
    await c.updateSettings({ proxy: { type: 'http', host: '127.0.0.1', port: await freePort(), username: '', password: '' } });
    await expect(c.register({ username: 'noproxy', password: PASSWORD })).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE', message: expect.stringMatching(/cannot reach the proxy/) });
    await c.updateSettings({ proxy: { type: 'none', host: '', port: 1080, username: '', password: '' } });
    await c.register({ username: 'noproxy', password: PASSWORD });
    await waitOnline(c);
  });

  it('refuses a proxy without a host', async () => {
    const { methodSchemas } = await import('../../shared/ipc');
    expect(methodSchemas.updateSettings.safeParse({ proxy: { type: 'socks5', host: '', port: 1080, username: '', password: '' } }).success).toBe(false);
    expect(methodSchemas.updateSettings.safeParse({ proxy: { type: 'socks5', host: 'a b', port: 1080, username: '', password: '' } }).success).toBe(false);
    expect(methodSchemas.updateSettings.safeParse({ proxy: { type: 'none', host: '', port: 1080, username: '', password: '' } }).success).toBe(true);
  });
});
