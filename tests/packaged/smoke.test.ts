// Smoke test of the PACKAGED app: the real Electron binary, its BoringSSL
// crypto, the native module rebuilt for its ABI, the sandboxed renderer from
// app.asar, driven by Playwright's Electron launcher against a real server.
// Runs wherever a packaged app exists (the release workflow packs one first,
// under Xvfb on Linux); here, where no Electron binary can be fetched, it
// skips with one line.
//
// Playwright drives Electron's main process through the Node inspector, which
// the shipped fuses turn off (`enableNodeCliInspectArguments: false`); the
// release workflow therefore packs a test build with only that fuse on, runs
// this, then builds the installers with every fuse (docs/RELEASING.md).
//
// The app: TERN_PACKAGED_APP, or electron-builder's unpacked output in dist/.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientCore } from '../../electron/core/index';
import { createCore } from '../../electron/core/index';
import { acceptFriendRequest, chatWith, register, send, startTestServer, waitForMessage, type TestServer } from '../e2e/harness';

const root = resolve(import.meta.dirname, '../..');
const candidates: Record<string, string[]> = {
  linux: ['dist/linux-unpacked/tern'],
  darwin: ['dist/mac-arm64/Tern.app/Contents/MacOS/Tern', 'dist/mac/Tern.app/Contents/MacOS/Tern'],
  win32: ['dist/win-unpacked/Tern.exe'],
};
const appPath = process.env.TERN_PACKAGED_APP ?? (candidates[process.platform] ?? []).map((p) => join(root, p)).find((p) => existsSync(p));

if (!appPath) {
  describe('packaged app', () => {
    it.skip(`smoke test skipped: no packaged app (dist/${process.platform === 'win32' ? 'win-unpacked' : process.platform === 'darwin' ? 'mac*' : 'linux-unpacked'}; set TERN_PACKAGED_APP, or pack one where Electron can be fetched)`, () => undefined);
  });
} else {
  describe('packaged app', () => {
    let server: TestServer;
    let bob: ClientCore;
    let userData: string;
    let bobDir: string;
    let app: ElectronApplication | undefined;

    async function launch(): Promise<{ app: ElectronApplication; page: Page }> {
      const launched = await _electron.launch({
        executablePath: appPath!,
        args: [`--user-data-dir=${userData}`],
        env: { ...process.env, TERN_DATA_DIR: userData, TERN_SERVERS: JSON.stringify([server.endpoint]), TERN_LOG_LEVEL: 'debug' } as Record<string, string>,
        timeout: 60_000,
      });
      // Spy on what the main process shows: notifications and the badge count.
      await launched.evaluate(({ app: electronApp, Notification }) => {
        const g = globalThis as unknown as { shown: string[]; badges: number[] };
        g.shown = [];
        g.badges = [];
        const show = Notification.prototype.show;
        Notification.prototype.show = function (this: { title: string }) {
          g.shown.push(this.title);
          return show.call(this as never);
        };
        const setBadgeCount = electronApp.setBadgeCount.bind(electronApp);
        electronApp.setBadgeCount = (n?: number) => {
          g.badges.push(n ?? 0);
          return setBadgeCount(n);
        };
      });
      const page = await launched.firstWindow();
      return { app: launched, page };
    }

    const spied = (a: ElectronApplication) => a.evaluate(() => globalThis as unknown as { shown: string[]; badges: number[] }).then((g) => ({ shown: g.shown, badges: g.badges }));

    beforeAll(async () => {
      server = await startTestServer();
      userData = mkdtempSync(join(tmpdir(), 'tern-packaged-'));
      bobDir = mkdtempSync(join(tmpdir(), 'tern-packaged-bob-'));
      bob = await createCore({ dataDir: bobDir, defaultServers: [server.endpoint], deviceName: 'smoke-bob' });
      await bob.register({ username: 'bob', password: 'correct horse battery', nickname: 'Bob' });
    }, 120_000);

    afterAll(async () => {
      await app?.close().catch(() => undefined);
      await bob?.dispose();
      await server?.stop();
      for (const d of [userData, bobDir, server?.dataDir]) if (d) rmSync(d, { recursive: true, force: true });
    });

    it('signs in, sends and receives, notifies and badges while hidden, and keeps the outbox across a restart', async () => {
      let page: Page;
      ({ app, page } = await launch());
      // Sign in (a new account) through the packaged UI: TCP + Noise on Electron's BoringSSL.
      await register(page, 'alice', 'Alice');
      await bob.sendFriendRequest({ username: 'alice' });
      await acceptFriendRequest(page, 'Bob');
      await chatWith(page, 'Bob');

      // Send and receive.
      const received = new Promise<void>((done) => {
        const off = bob.on('messagesChanged', (p) => {
          if (p.messages.some((m) => m.text === 'hello from the packaged app')) {
            off();
            done();
          }
        });
      });
      await send(page, 'hello from the packaged app');
      await received;
      const [conv] = (await bob.listConversations({})).items;
      await bob.sendMessage({ key: conv!.key, text: 'hello back' });
      await waitForMessage(page, 'hello back');

      // Hidden: a new message notifies and shows in the badge.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.hide());
      await bob.sendMessage({ key: conv!.key, text: 'are you there?' });
      await expect.poll(async () => (await spied(app!)).shown, { timeout: 20_000 }).toContain('Bob');
      await expect.poll(async () => (await spied(app!)).badges.at(-1), { timeout: 20_000 }).toBeGreaterThan(0);

      // Offline: a message waits in the outbox; quit; it is still there after a restart, then goes out.
      await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.show());
      await server.stop();
      await send(page, 'sent while the server was down');
      await page.getByTestId('message').filter({ hasText: 'sent while the server was down' }).first().waitFor();
      await app.close();
      app = undefined;
      await server.restart();
      ({ app, page } = await launch());
      const delivered = new Promise<void>((done) => {
        const off = bob.on('messagesChanged', (p) => {
          if (p.messages.some((m) => m.text === 'sent while the server was down')) {
            off();
            done();
          }
        });
      });
      await delivered;
      expect(readFileSync(join(userData, 'logs', 'main.log'), 'utf8')).not.toContain('sent while the server was down'); // no bodies in logs
      // Private at rest, with Electron's build of the SQLCipher addon: no SQLite header and no message text in the
      // cache files; the key sealed by safeStorage (or, on a Linux without a secret service, in data.key).
      const dataDir = join(userData, 'data');
      for (const account of readdirSync(join(dataDir, 'accounts'))) {
        for (const file of readdirSync(join(dataDir, 'accounts', account)).filter((f) => f.startsWith('cache.db'))) {
          const bytes = readFileSync(join(dataDir, 'accounts', account, file));
          expect(bytes.includes(Buffer.from('SQLite format 3')), file).toBe(false);
          expect(bytes.includes(Buffer.from('hello from the packaged app')), file).toBe(false);
        }
      }
      expect(existsSync(join(dataDir, 'data.key.keychain')) || existsSync(join(dataDir, 'data.key'))).toBe(true);
    }, 300_000);
  });
}
