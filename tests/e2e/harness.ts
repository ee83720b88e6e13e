/**
 * E2E harness: a real server (in process), one web shell + client core per
 * user with its own temp data directory, one Chromium browser context per
 * user. Helpers drive the UI the way a person would (labels, buttons, keys).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { chromium, selectors, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ServerEndpoint } from '../../shared/ipc';
import { startServer, type RunningServer } from '../../server/index';
import type { Timings } from '../../electron/core/timings';
import { startWebShell, startWebShellCore, type WebShell } from '../../electron/web-shell/index';
import type { CoreThreadLog } from '../../electron/host/core-thread';
import { silentLog } from '../../electron/web-shell/log';
import { startFaultProxy, type FaultProxy } from '../chaos/support/fault-proxy';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const screenshotDir = join(repoRoot, 'test-results/screenshots');
export const PASSWORD = 'correct horse battery';

export const chromiumFlags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--no-first-run', '--disable-sync', '--disable-quic', '--disable-dev-shm-usage',
];

/**
 * TERN_E2E_LOG_DIR=DIR keeps the logs a flake's post-mortem needs: the
 * server's records (level info) on stderr, each user's core records in
 * DIR/<name>-core.log (JSON lines with the time). Unset: both silent.
 */
const logDir = process.env.TERN_E2E_LOG_DIR;

function coreLog(name: string): CoreThreadLog | undefined {
  if (!logDir) return undefined;
  mkdirSync(logDir, { recursive: true });
  const file = join(logDir, `${name}-core.log`);
  const write = (level: string) => (obj: object, msg?: string) => appendFileSync(file, `${JSON.stringify({ t: new Date().toISOString(), level, msg, ...obj })}\n`);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export function launchBrowser(): Promise<Browser> {
  selectors.setTestIdAttribute('data-test');
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumFlags, headless: true });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tern-e2e-${prefix}-`));
}

export interface TestServer {
  server: RunningServer;
  endpoint: ServerEndpoint;
  dataDir: string;
  port: number;
  stop(): Promise<void>;
  /** Starts again on the same port and data directory (after stop()). */
  restart(): Promise<void>;
  /** With `blobProxy`: the proxy every blob transfer goes through (shape it to slow transfers down). */
  blobProxy?: FaultProxy;
}

/**
 * A server in this process on free ports. With `blobProxy`, clients are told
 * a blob URL that goes through a fault proxy, so a test can hold a transfer at
 * a known speed instead of racing a loopback upload that may finish between
 * two progress events on a fast machine.
 */
export async function startTestServer(opts: { blobProxy?: boolean } = {}): Promise<TestServer> {
  const dataDir = tempDir('server');
  const blobProxy = opts.blobProxy ? await startFaultProxy({ host: '127.0.0.1', port: 1 }) : undefined;
  const blobPublicUrl = blobProxy ? { blobPublicUrl: `http://127.0.0.1:${blobProxy.port}` } : {};
  // The blob service keeps its port across a restart too (a resumed upload goes back to it).
  const options = (port: number, blobPort = 0) => ({
    host: '127.0.0.1', port, blobPort, dataDir, logLevel: logDir ? ('info' as const) : ('silent' as const), scrypt: { N: 1024, r: 8, p: 1 }, shutdownGraceMs: 200, ...blobPublicUrl,
  });
  let server = await startServer(options(0));
  blobProxy?.retarget({ host: '127.0.0.1', port: server.blobPort });
  const t: TestServer = {
    server,
    endpoint: { host: server.host, port: server.port, publicKey: server.publicKeyBase64 },
    dataDir,
    port: server.port,
    stop: async () => {
      await server.close();
    },
    restart: async () => {
      server = await startServer(options(t.port, t.server.blobPort));
      t.server = server;
    },
    ...(blobProxy ? { blobProxy } : {}),
  };
  return t;
}

export interface User {
  name: string;
  dataDir: string;
  shell: WebShell;
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations seen in the page. */
  problems: string[];
  /** Stops the web shell and core (the browser context stays, showing a disconnected page). */
  stopShell(): Promise<void>;
  close(): Promise<void>;
}

export interface UserOptions {
  locale?: string;
  colorScheme?: 'light' | 'dark';
  timings?: Partial<Timings>;
  dataDir?: string;
}

/** A web shell + core for one person, and a browser context showing it. */
export async function openUser(browser: Browser, name: string, servers: ServerEndpoint[], opts: UserOptions = {}): Promise<User> {
  const dataDir = opts.dataDir ?? tempDir(name);
  mkdirSync(dataDir, { recursive: true });
  const shell = await startWebShell({
    log: silentLog,
    // As in the product: the core on a worker thread of the web shell's process.
    coreFactory: () => {
      const log = coreLog(name);
      return startWebShellCore({
        dataDir, defaultServers: servers, deviceName: `e2e-${name}`, timings: { backoffInitialMs: 300, backoffMaxMs: 2000, ...opts.timings },
        ...(log ? { log, logLevel: 'info' as const } : {}),
      });
    },
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: opts.locale ?? 'en-US', colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(shell.url);
  let stopped = false;
  const stopShell = async () => {
    if (stopped) return;
    stopped = true;
    await shell.close();
  };
  return {
    name, dataDir, shell, context, page, problems, stopShell,
    close: async () => {
      if (process.env.TERN_E2E_LOG_CONSOLE && problems.length) console.log(`[${name}] console:\n  ${problems.join('\n  ')}`);
      await context.close().catch(() => undefined);
      await stopShell();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.waitForTimeout(150); // let transitions and virtual lists settle
  await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
}

/** After a failed test: a screenshot of every user's page, named after the test, for diagnosis. */
export async function shotOnFailure(task: { name: string; result?: { state?: string } }, users: Array<User | undefined>): Promise<void> {
  if (task.result?.state !== 'fail') return;
  const slug = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
  for (const u of users) if (u && !u.page.isClosed()) await shot(u.page, `FAILED-${slug}-${u.name}`).catch(() => undefined);
}

// ---- UI steps --------------------------------------------------------------

export async function register(page: Page, username: string, nickname: string): Promise<void> {
  await page.getByTestId('switch-mode').click();
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(PASSWORD);
  await page.getByTestId('nickname').fill(nickname);
  await page.getByTestId('submit').click();
  await page.getByTestId('nav-chats').waitFor();
  await waitOnline(page);
}

export async function waitOnline(page: Page): Promise<void> {
  await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 30_000 });
}

export async function sendFriendRequest(page: Page, username: string): Promise<void> {
  await page.getByTestId('nav-contacts').click();
  await page.getByTestId('add-friend-username').fill(username);
  await page.getByTestId('add-friend-send').click();
  await page.locator('[data-test="add-friend-result"][data-ok="true"]').waitFor();
}

export async function acceptFriendRequest(page: Page, fromNickname: string): Promise<void> {
  await page.getByTestId('nav-contacts').click();
  const request = page.getByTestId('friend-request').filter({ hasText: fromNickname });
  await request.getByTestId('accept').click();
  await page.getByTestId('friend').filter({ hasText: fromNickname }).waitFor();
}

/** Registers two people and makes them friends (the first asks, the second accepts). */
export async function registerFriends(a: { page: Page; username: string; nickname: string }, b: { page: Page; username: string; nickname: string }): Promise<void> {
  await register(a.page, a.username, a.nickname);
  await register(b.page, b.username, b.nickname);
  await sendFriendRequest(a.page, b.username);
  await acceptFriendRequest(b.page, a.nickname);
  await a.page.getByTestId('friend').filter({ hasText: b.nickname }).waitFor();
}

/** Alice and Bob on a server of their own, registered and friends (filled in by the file's beforeAll). */
export interface TwoFriends {
  server: TestServer;
  browser: Browser;
  alice: User;
  bob: User;
}

/** Registers a test file's hooks: Alice and Bob become friends before its tests; everything closes after them. */
export function twoFriends(): TwoFriends {
  const t = {} as TwoFriends;
  beforeAll(async () => {
    t.server = await startTestServer();
    t.browser = await launchBrowser();
    t.alice = await openUser(t.browser, 'alice', [t.server.endpoint]);
    t.bob = await openUser(t.browser, 'bob', [t.server.endpoint]);
    await registerFriends({ page: t.alice.page, username: 'alice', nickname: 'Alice' }, { page: t.bob.page, username: 'bob', nickname: 'Bob' });
  });
  afterEach(async (ctx) => shotOnFailure(ctx.task, [t.alice, t.bob]));
  afterAll(() => closeAll(t.browser, t.server, [t.alice, t.bob]));
  return t;
}

/** Closes the users, the browser and the server, and removes their data (a test file's afterAll). */
export async function closeAll(browser: Browser | undefined, server: TestServer | undefined, users: Array<User | undefined>): Promise<void> {
  for (const u of users) await u?.close();
  await browser?.close();
  await server?.stop();
  for (const u of users) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
}

/** Gives the composer's file picker a file made in the page (`size` bytes of `fill`), as if the user had picked it. */
export async function pickFile(page: Page, name: string, type: string, size: number, fill = 65): Promise<void> {
  await page.evaluate(([n, t, bytes, f]) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes).fill(f)], n, { type: t }));
    const input = document.querySelector<HTMLInputElement>('[data-test="file-input"]')!;
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, [name, type, size, fill] as const);
}

/** Opens the 1:1 chat with a friend from the contacts pane. */
export async function chatWith(page: Page, nickname: string): Promise<void> {
  await page.getByTestId('nav-contacts').click();
  await page.getByTestId('friend').filter({ hasText: nickname }).click();
  await page.getByTestId('chat').click();
  await headerIs(page, nickname);
}

export async function openConversation(page: Page, title: string): Promise<void> {
  await page.getByTestId('nav-chats').click();
  await page.getByTestId('conversation-item').filter({ hasText: title }).first().click();
  await headerIs(page, title);
}

/** Waits until the open conversation is `title` (usable outside a test, unlike expect.poll). */
export async function headerIs(page: Page, title: string): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('[data-test="conversation-header"]')?.textContent === t, title, { timeout: 30_000 });
}

/**
 * Types and sends a message, and checks the composer took it (the box is
 * cleared). The composer takes every Enter at once and queues the message
 * behind any still being handed to the core (composer.e2e.test.ts sends 40 in
 * a row without this check); the check stays as a guard: an Enter the
 * composer ignored would leave the text in the box, the next fill would
 * replace it, and that message would silently never be sent (as the backlog
 * test once missed one message in 60 under load).
 */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByTestId('composer');
  await box.click();
  await box.fill(text);
  await box.press('Enter');
  await expect.poll(() => box.inputValue(), { timeout: 20_000, message: `composer taking "${text}"` }).not.toBe(text);
}

/** Texts of the messages currently rendered in the open conversation, oldest first. */
export async function messageTexts(page: Page): Promise<string[]> {
  return page.getByTestId('message-text').allTextContents();
}

export async function waitForMessage(page: Page, text: string, timeout = 20_000): Promise<void> {
  await page.getByTestId('message-text').filter({ hasText: text }).first().waitFor({ timeout });
}

/**
 * Every message text of the open conversation in list order, by scrolling the
 * virtualised list from top to bottom (only visible rows exist in the DOM).
 * Messages are told apart by their id, not by their row index: rows shift
 * while the list is read when a row above appears or goes (the "new messages"
 * marker, a date line), and keying by index then dropped the message at the
 * shift (a CI flake). A message seen for the first time goes right after the
 * message before it on screen, so the order is the list's. The same id twice
 * on one screen is a duplicate row and is kept twice, so the caller's
 * comparison fails.
 * Passed as a string: page functions compiled by tsx may reference a helper
 * that does not exist in the page.
 */
export async function allMessageTexts(page: Page): Promise<string[]> {
  return page.evaluate(`(async () => {
    const el = document.querySelector('[data-test="message-list"]');
    const order = [];
    const text = new Map();
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    el.scrollTop = 0;
    await frame();
    for (let guard = 0; guard < 500; guard++) {
      const rows = [...el.querySelectorAll('[data-index]')].sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')));
      let previous = null;
      const onScreen = new Set();
      for (const row of rows) {
        const message = row.querySelector('[data-test="message"]');
        const body = row.querySelector('[data-test="message-text"]');
        if (!message || !body) continue;
        let id = message.getAttribute('data-id');
        if (onScreen.has(id)) id = id + ' (again)';
        onScreen.add(id);
        if (!text.has(id)) order.splice(previous === null ? order.length : order.indexOf(previous) + 1, 0, id);
        text.set(id, body.textContent);
        previous = id;
      }
      if (el.scrollTop + el.clientHeight >= el.scrollHeight - 2) break;
      el.scrollTop += Math.max(100, el.clientHeight / 2);
      await frame();
    }
    return order.map((id) => text.get(id));
  })()`);
}

/** Conversation titles in list order, with their unread badges. */
export async function conversationList(page: Page): Promise<Array<{ title: string; unread: number }>> {
  return page.getByTestId('conversation-item').evaluateAll((items) =>
    items
      .map((el) => ({
        top: (el.closest('[data-index]') as HTMLElement | null)?.style.transform ?? '',
        title: el.querySelector('[data-test="conversation-title"]')?.textContent ?? '',
        unread: Number(el.querySelector('[data-test="unread"]')?.textContent ?? 0),
      }))
      .sort((a, b) => Number(/(\d+(?:\.\d+)?)px/.exec(a.top)?.[1] ?? 0) - Number(/(\d+(?:\.\d+)?)px/.exec(b.top)?.[1] ?? 0))
      .map(({ title, unread }) => ({ title, unread })),
  );
}
