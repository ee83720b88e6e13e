/**
 * Real proxies for tests, started privately on a free loopback port: a SOCKS5
 * proxy (Debian's microsocks) and an HTTP CONNECT proxy (Debian's tinyproxy),
 * each optionally requiring a username and password. Installed by
 * scripts/ensure-test-deps.sh. Never a proxy someone else started.
 *
 *   const socks = await startProxy('socks5', { username: 'u', password: 'p' });
 *   socks.config   // { type, host, port, username, password } for the client
 *   await socks.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProxyConfig } from '../../shared/node/proxy/tunnel';
import { freePort } from './postgres';

export interface TestProxy {
  config: ProxyConfig;
  stop(): Promise<void>;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startProxy(type: ProxyConfig['type'], auth: { username: string; password: string } | null = null): Promise<TestProxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `tern-${type}-`));
  let child: ChildProcess;
  if (type === 'socks5') {
    child = spawn('microsocks', ['-i', '127.0.0.1', '-p', String(port), ...(auth ? ['-u', auth.username, '-P', auth.password] : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    // No ConnectPort line: CONNECT to any port (tinyproxy's default file allows 443 and 563 only).
    const conf = [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', 'Allow 127.0.0.1', 'MaxClients 20', 'LogLevel Critical', ...(auth ? [`BasicAuth ${auth.username} ${auth.password}`] : [])];
    writeFileSync(join(dir, 'tinyproxy.conf'), `${conf.join('\n')}\n`);
    child = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  let log = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (log.length < 10_000) log += c.toString();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${type} proxy exited (${child.exitCode}): ${log}`);
    if (await accepting(port)) break;
    if (i > 200) {
      child.kill('SIGKILL');
      throw new Error(`${type} proxy did not listen on ${port} in 10 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    config: { type, host: '127.0.0.1', port, ...(auth ?? {}) },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(force);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
