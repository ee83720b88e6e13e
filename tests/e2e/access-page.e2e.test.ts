/**
 * Opening the web shell's address without its key (the address alone, or a
 * link from an earlier start) shows a page saying to use the link printed in
 * the terminal, in the browser's language first, with no CSP violation; the
 * printed link itself opens the app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser, openUser, removeDir, shot, startTestServer, type TestServer, type User } from './harness';

let browser: Browser;
let server: TestServer;
let user: User;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  user = await openUser(browser, 'keyless', [server.endpoint]);
});

afterAll(async () => {
  await user?.close();
  await browser?.close();
  await server?.stop();
  if (user) removeDir(user.dataDir);
  if (server) removeDir(server.dataDir);
});

describe('the web shell opened without its key', () => {
  for (const [locale, heading, other] of [
    ['en-US', 'Open Tern with the link from the terminal', '请用终端里打印的链接打开 Tern'],
    ['zh-CN', '请用终端里打印的链接打开 Tern', 'Open Tern with the link from the terminal'],
  ] as const) {
    it(`explains what to do (${locale})`, async () => {
      const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => problems.push(`${m.type()}: ${m.text()} @ ${m.location().url}`));
      const response = await page.goto(user.shell.origin + '/');
      expect(response?.status()).toBe(403);
      const headings = await page.locator('h1').allTextContents();
      expect(headings).toEqual([heading, other]);
      await expect.poll(() => page.locator('code').first().textContent()).toBe(`${user.shell.origin}/?k=…`);
      // The inline style applied (its CSP hash matches): the example is set off with a padded box.
      expect(await page.locator('code').first().evaluate((el) => getComputedStyle(el).paddingLeft)).not.toBe('0px');
      // Chromium reports the 403 of the page itself; anything else (a CSP violation, a failed subresource) is a fault.
      expect(problems).toEqual([`error: Failed to load resource: the server responded with a status of 403 (Forbidden) @ ${user.shell.origin}/`]);
      await shot(page, `access-page-${locale}`);
      await context.close();
    });
  }

  it('the printed link opens the app', async () => {
    await user.page.getByTestId('submit').waitFor();
    expect(await user.page.title()).not.toContain('Open Tern');
  });
});
