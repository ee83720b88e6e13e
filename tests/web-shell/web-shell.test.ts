import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebShell, type WebShell, type ShellLog } from '../../electron/web-shell';
import { resolveStaticPath } from '../../electron/web-shell/static-files';
import { createFakeCore, sampleSettings, type FakeCore } from '../support/fake-core';

let rendererDir: string;

beforeAll(() => {
  rendererDir = mkdtempSync(join(tmpdir(), 'tern-renderer-'));
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Tern</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("tern")');
});
afterAll(() => rmSync(rendererDir, { recursive: true, force: true }));

interface Recorded {
  level: string;
  obj: object;
  msg: string;
}
function recordingLog(): ShellLog & { lines: Recorded[] } {
  const lines: Recorded[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

const opened: WebShell[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function start(core: FakeCore = createFakeCore(), extra: Partial<Parameters<typeof startWebShell>[0]> = {}) {
  const log = recordingLog();
  const shell = await startWebShell({ core, rendererDir, log, port: 0, version: '1.2.3', ...extra });
  opened.push(shell);
  return { shell, core, log, secret: new URL(shell.url).searchParams.get('k')! };
}

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function get(url: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function wsUrl(shell: WebShell, secret: string): string {
  return `ws://127.0.0.1:${shell.port}/ws?k=${encodeURIComponent(secret)}`;
}

/** Opens a socket; resolves with it when open, rejects with the HTTP status when refused. */
function connect(url: string, origin: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`refused ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

type Incoming = { id?: number; result?: { ok: boolean; value?: unknown; error?: { code: string; message: string } }; event?: string; payload?: unknown };
function client(ws: WebSocket) {
  const inbox: Incoming[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    inbox.push(JSON.parse(String(data)) as Incoming);
    for (const w of waiters.splice(0)) w();
  });
  let nextId = 1;
  const next = async (pred: (m: Incoming) => boolean): Promise<Incoming> => {
    for (;;) {
      const i = inbox.findIndex(pred);
      if (i >= 0) return inbox.splice(i, 1)[0]!;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return {
    async call(method: unknown, args?: unknown) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, args }));
      return (await next((m) => m.id === id)).result!;
    },
    nextEvent: (name: string) => next((m) => m.event === name),
    send: (raw: string) => ws.send(raw),
  };
}

describe('web shell HTTP', () => {
  it('serves the app with the secret, sets a per-port cookie for assets, and sends the CSP', async () => {
    const { shell, secret } = await start();
    const page = await get(shell.url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Tern</title>');
    expect(page.headers['cache-control']).toBe('no-store');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`ws://127.0.0.1:${shell.port}`);
    expect(csp).not.toContain('unsafe-eval');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain(`tern_k_${shell.port}=${secret}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');

    const asset = await get(`${shell.origin}/assets/app.js`, { Cookie: `tern_k_${shell.port}=${secret}` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect((await get(`${shell.origin}/assets/app.js`)).status).toBe(403);
  });

  it('refuses a wrong or missing secret with 403 and logs it without the secret', async () => {
    const { shell, log, secret } = await start();
    expect((await get(`${shell.origin}/?k=wrong`)).status).toBe(403);
    expect((await get(`${shell.origin}/`)).status).toBe(403);
    expect((await get(`${shell.origin}/`, { Cookie: `tern_k_${shell.port}=nope` })).status).toBe(403);
    const refusals = log.lines.filter((l) => l.msg.includes('refused'));
    expect(refusals).toHaveLength(3);
    expect(refusals.every((l) => (l.obj as { reason?: string }).reason === 'secret')).toBe(true);
    expect(JSON.stringify(log.lines)).not.toContain(secret);
    expect(JSON.stringify(log.lines)).not.toContain('wrong');
  });

  it('a person opening the address without its key gets a page saying to use the printed link (en + zh-CN), never the key', async () => {
    const { shell, secret } = await start();
    const page = await get(`${shell.origin}/`, { Accept: 'text/html,application/xhtml+xml', 'Accept-Language': 'en-US,en;q=0.9' });
    expect(page.status).toBe(403);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('Open Tern with the link from the terminal');
    expect(page.body).toContain('请用终端里打印的链接打开 Tern');
    expect(page.body).toContain(`${shell.origin}/?k=…`);
    expect(page.body.indexOf('Open Tern')).toBeLessThan(page.body.indexOf('请用'));
    expect(page.body).not.toContain(secret);
    // Its CSP allows only its own style, by hash; no script at all.
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(page.body).not.toContain('<script');
    const style = /<style>([\s\S]*)<\/style>/.exec(page.body)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);

    // Chinese first for a browser that prefers it; a wrong key gets the same help.
    const zh = await get(`${shell.origin}/?k=old-key`, { Accept: 'text/html', 'Accept-Language': 'zh-CN,zh;q=0.9,en;q=0.5' });
    expect(zh.body).toContain('<html lang="zh-CN">');
    expect(zh.body.indexOf('请用')).toBeLessThan(zh.body.indexOf('Open Tern'));
    expect(zh.body).toContain('每次启动 Tern 密钥都会改变');
    // Another host name (localhost): told to use 127.0.0.1.
    const host = await get(shell.url, { Host: `localhost:${shell.port}`, Accept: 'text/html' });
    expect(host.status).toBe(403);
    expect(host.body).toContain('with 127.0.0.1 (not localhost');
    // Scripts and assets still get the bare refusal.
    const asset = await get(`${shell.origin}/assets/app.js`, { Accept: '*/*' });
    expect(asset).toMatchObject({ status: 403, body: 'forbidden' });
  });

  it('refuses a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    const { shell, log } = await start();
    expect((await get(shell.url, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(shell.url, { Origin: shell.origin })).status).toBe(200);
    expect((await get(shell.url, { Host: `evil.example:${shell.port}` })).status).toBe(403);
    expect(log.lines.map((l) => (l.obj as { reason?: string }).reason).filter(Boolean)).toEqual(['origin', 'host']);
  });

  it('never serves files outside the renderer directory and answers 405 to other methods', async () => {
    const { shell, secret } = await start();
    const r = await get(`${shell.origin}/..%2f..%2f..%2fpackage.json?k=${secret}`);
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('tern-messenger');
    expect(resolveStaticPath('/srv/app', '/..%2f..%2fetc/passwd')).toBe('/srv/app/etc/passwd');
    expect(resolveStaticPath('/srv/app', '..%2f..%2fetc/passwd')).toBeNull();
    expect(resolveStaticPath('/srv/app', '/%00')).toBeNull();
    expect(resolveStaticPath('/srv/app', '/assets/a.js')).toBe('/srv/app/assets/a.js');
    const spaRoute = await get(`${shell.origin}/chat/u:1?k=${secret}`);
    expect(spaRoute.status).toBe(200);
    const post = await new Promise<number>((resolve) => {
      const req = request(shell.url, { method: 'POST' }, (res) => resolve(res.statusCode ?? 0));
      req.end();
    });
    expect(post).toBe(405);
  });

  it('answers 503 with a hint when the renderer is not built', async () => {
    const { shell } = await start(createFakeCore(), { rendererDir: join(rendererDir, 'missing') });
    const r = await get(shell.url);
    expect(r.status).toBe(503);
    expect(r.body).toContain('npm run build');
  });

  it('binds to 127.0.0.1 only', async () => {
    await expect(startWebShell({ core: createFakeCore(), host: '0.0.0.0' as '127.0.0.1', log: recordingLog() })).rejects.toThrow(/127\.0\.0\.1/);
  });
});

describe('web shell WebSocket', () => {
  it('refuses a wrong secret, a wrong origin and a missing origin', async () => {
    const { shell, secret, log } = await start();
    await expect(connect(wsUrl(shell, 'wrong'), shell.origin)).rejects.toThrow(/403/);
    await expect(connect(wsUrl(shell, secret), 'http://evil.example')).rejects.toThrow(/403/);
    await expect(connect(wsUrl(shell, secret), `http://127.0.0.1:${shell.port + 1}`)).rejects.toThrow(/403/);
    await expect(connect(wsUrl(shell, secret), undefined)).rejects.toThrow(/403/);
    const reasons = log.lines.filter((l) => l.msg.includes('refused a WebSocket')).map((l) => (l.obj as { reason: string }).reason);
    expect(reasons).toEqual(['secret', 'origin', 'origin', 'origin']);
    expect(JSON.stringify(log.lines)).not.toContain(secret);
    expect(shell.connectionCount()).toBe(0);
  });

  it('round-trips a core call, the shell methods and an event', async () => {
    const { shell, secret, core } = await start();
    const ws = await connect(wsUrl(shell, secret), shell.origin);
    const c = client(ws);
    expect(await c.call('getSettings', {})).toEqual({ ok: true, value: sampleSettings });
    expect(core.calls).toEqual([{ method: 'getSettings', args: {} }]);
    expect(await c.call('getAppInfo', {})).toEqual({ ok: true, value: { name: 'Tern', version: '1.2.3', shell: 'web', platform: process.platform } });
    const update = await c.call('checkForUpdates', {});
    expect(update.value).toMatchObject({ state: 'unsupported', currentVersion: '1.2.3' });
    expect((await c.call('installUpdate', {})).error?.code).toBe('UNSUPPORTED');
    // Errors thrown by the core keep their code.
    expect((await c.call('listFriends', {})).error?.code).toBe('UNSUPPORTED');

    core.emit('unreadTotal', { total: 7 });
    expect(await c.nextEvent('unreadTotal')).toEqual({ event: 'unreadTotal', payload: { total: 7 } });
    ws.close();
  });

  it('rejects invalid arguments and unknown methods with INVALID_ARGUMENT before the core sees them', async () => {
    const { shell, secret, core } = await start();
    const ws = await connect(wsUrl(shell, secret), shell.origin);
    const c = client(ws);
    const bad = await c.call('sendMessage', { key: 'x:1', text: 'hi' });
    expect(bad.ok).toBe(false);
    expect(bad.error?.code).toBe('INVALID_ARGUMENT');
    expect(bad.error?.message).toContain('key');
    expect((await c.call('sendMessage', { key: 'u:1', text: 'hi', extra: true })).error?.code).toBe('INVALID_ARGUMENT');
    expect((await c.call('deleteEverything', {})).error?.code).toBe('INVALID_ARGUMENT');
    expect((await c.call('__proto__', {})).error?.code).toBe('INVALID_ARGUMENT');
    expect(core.calls).toEqual([]);
    ws.close();
  });

  it('closes a connection that sends a malformed message', async () => {
    const { shell, secret } = await start();
    const ws = await connect(wsUrl(shell, secret), shell.origin);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('not json');
    expect(await closed).toBe(1007);
  });

  it('rate-limits calls per connection and caps message size', async () => {
    let now = 0;
    const { shell, secret } = await start(createFakeCore(), { now: () => now, limits: { callBurst: 3, callsPerSecond: 1, maxMessageBytes: 1024 } });
    const ws = await connect(wsUrl(shell, secret), shell.origin);
    const c = client(ws);
    const results = await Promise.all([1, 2, 3, 4].map(() => c.call('getSettings', {})));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]!.error?.code).toBe('RATE_LIMITED');
    now += 1000;
    expect((await c.call('getSettings', {})).ok).toBe(true);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    c.send(JSON.stringify({ id: 9, method: 'setDraft', args: { key: 'u:1', text: 'x'.repeat(2000) } }));
    expect(await closed).toBe(1009);
  });

  it('runs several shells in one process and disposes only the cores it created', async () => {
    const owned = createFakeCore();
    const a = await startWebShell({ coreFactory: async () => owned, rendererDir, log: recordingLog() });
    const borrowed = createFakeCore();
    const b = await startWebShell({ core: borrowed, rendererDir, log: recordingLog() });
    expect(a.port).not.toBe(b.port);
    expect(new URL(a.url).searchParams.get('k')).not.toBe(new URL(b.url).searchParams.get('k'));
    const sa = new URL(a.url).searchParams.get('k')!;
    // One shell's secret does not open the other.
    await expect(connect(wsUrl(b, sa), b.origin)).rejects.toThrow(/403/);
    const ws = await connect(wsUrl(a, sa), a.origin);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    await a.close();
    await b.close();
    expect(await closed).toBe(1001);
    expect(owned.disposed).toBe(1);
    expect(borrowed.disposed).toBe(0);
  });
});
