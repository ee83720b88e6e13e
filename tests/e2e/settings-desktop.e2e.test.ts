/**
 * The proxy setting through the UI of the web shell (the proxy is the core's,
 * so the browser build has it too): a real SOCKS5 proxy (microsocks, with a
 * password) started here; a wrong password shows as offline after the server
 * restarts, the right one brings the connection back through the proxy.
 * Screenshots of the settings (en, zh-CN).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openUser, register, removeDir, shot, shotOnFailure, startTestServer, waitOnline, type TestServer, type User } from './harness';
import { startProxy, type TestProxy } from '../support/proxies';

let browser: Browser;
let server: TestServer;
let proxy: TestProxy;
let alice: User;
let li: User;

beforeAll(async () => {
  server = await startTestServer();
  proxy = await startProxy('socks5', { username: 'tern', password: 'proxy-pass' });
  browser = await launchBrowser();
  alice = await openUser(browser, 'alice', [server.endpoint], { timings: { connectTimeoutMs: 3000 } });
  li = await openUser(browser, 'lilei', [server.endpoint], { locale: 'zh-CN' });
  await register(alice.page, 'alice', 'Alice');
  await register(li.page, 'lilei', '李雷');
});

afterAll(async () => {
  for (const u of [alice, li]) await u?.close();
  await browser?.close();
  await proxy?.stop();
  await server?.stop().catch(() => undefined);
  for (const u of [alice, li]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [alice, li]));

async function fillProxy(page: Page, password: string): Promise<void> {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('proxy-type').selectOption('socks5');
  await page.getByTestId('proxy-host').fill('127.0.0.1');
  await page.getByTestId('proxy-port').fill(String(proxy.config.port));
  const network = page.getByTestId('settings-network');
  await network.getByLabel(/Username|用户名/).fill('tern');
  await network.getByLabel(/Password|密码/).fill(password);
  await page.getByTestId('proxy-save').click();
  await page.getByTestId('proxy-result').filter({ hasText: /Proxy saved|代理已保存/ }).waitFor();
}

describe('proxy setting (web shell)', () => {
  it('a wrong proxy password shows as offline; the right one reconnects through the proxy', async () => {
    await fillProxy(alice.page, 'wrong-pass');
    await alice.page.getByTestId('settings-network').scrollIntoViewIfNeeded();
    await shot(alice.page, 'settings-proxy-en');
    // The live connection stays; the next one (after a server restart) goes through the proxy.
    await server.stop();
    await server.restart();
    const banner = alice.page.getByTestId('connection-banner');
    await banner.waitFor();
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 20_000 }).toBe('offline');
    await fillProxy(alice.page, 'proxy-pass');
    await waitOnline(alice.page);
    // Stopping the proxy would now cut the connection: it really runs through it.
    await proxy.stop();
    await banner.waitFor({ timeout: 30_000 });
    // Back to a direct connection.
    await alice.page.getByTestId('proxy-type').selectOption('none');
    await alice.page.getByTestId('proxy-save').click();
    await waitOnline(alice.page);
  });

  it('the settings in Chinese', async () => {
    await li.page.getByTestId('nav-settings').click();
    await li.page.getByTestId('proxy-type').selectOption('http');
    await li.page.getByTestId('settings-network').scrollIntoViewIfNeeded();
    await expect.poll(() => li.page.getByTestId('settings-network').textContent()).toContain('代理主机');
    await shot(li.page, 'settings-proxy-zh');
  });
});

describe('desktop-only settings, as the desktop app shows them', () => {
  it('start at login, spelling, debug log (rendered with the desktop shell’s capabilities)', async () => {
    // The web shell has none of these; to look at them in Chromium, give the page the desktop app's AppInfo.
    const page = alice.page;
    await page.getByTestId('nav-settings').click();
    await page.evaluate(() => {
      const el = document.querySelector('#app') as unknown as { __vue_app__: { config: { globalProperties: { $pinia: { _s: Map<string, { appInfo: unknown }> } } } } };
      const settings = el.__vue_app__.config.globalProperties.$pinia._s.get('settings')!;
      settings.appInfo = { name: 'Tern', version: '0.1.0', shell: 'electron', platform: 'linux', desktop: { spellcheckLanguages: ['de', 'en-GB', 'en-US', 'fr', 'ru'], startAtLogin: true, debugLog: true } };
    });
    await page.getByTestId('start-at-login').waitFor();
    await page.getByTestId('start-at-login').scrollIntoViewIfNeeded();
    // Named in the UI's language, with the dictionary's code.
    await expect.poll(() => page.getByTestId('spell-languages').locator('option').allTextContents()).toEqual(['German (de)', 'British English (en-GB)', 'American English (en-US)', 'French (fr)', 'Russian (ru)']);
    await page.getByTestId('export-debug-log').waitFor();
    await shot(page, 'settings-desktop-en');
  });
});
