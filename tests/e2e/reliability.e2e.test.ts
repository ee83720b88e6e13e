/**
 * Reliability through the UI: a user who was offline receives the backlog on
 * return, exactly once and in order; a message sent while the server is down
 * fails visibly, the banner offers a retry, and resending works.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  acceptFriendRequest, shotOnFailure, chatWith, headerIs, launchBrowser, messageTexts, openConversation, openUser, register, removeDir,
  send, sendFriendRequest, allMessageTexts, shot, startTestServer, waitForMessage, waitOnline, PASSWORD, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let alice: User;
let bob: User;
const dirs: string[] = [];

// Short outbox timings so a send fails in about a second while the server is down.
const fastOutbox = { offlineCheckMs: 200, offlineChecks: 5, ackTimeoutMs: 2000, ackRetries: 1, connectTimeoutMs: 2000 };

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  alice = await openUser(browser, 'alice', [server.endpoint], { timings: fastOutbox });
  bob = await openUser(browser, 'bob', [server.endpoint]);
  dirs.push(alice.dataDir, bob.dataDir);
  await register(alice.page, 'alice', 'Alice');
  await register(bob.page, 'bob', 'Bob');
  await sendFriendRequest(alice.page, 'bob');
  await acceptFriendRequest(bob.page, 'Alice');
  await alice.page.getByTestId('friend').filter({ hasText: 'Bob' }).waitFor();
});

afterAll(async () => {
  for (const u of [alice, bob]) await u?.close();
  await browser?.close();
  await server?.stop().catch(() => undefined);
  for (const d of dirs) removeDir(d);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [alice, bob]));

describe('reliability end to end', () => {
  it('an offline user receives the backlog on return, exactly once and in order', async () => {
    await chatWith(alice.page, 'Bob');
    await send(alice.page, 'before you left');
    await openConversation(bob.page, 'Alice');
    await waitForMessage(bob.page, 'before you left');

    // Bob quits the app (core and page gone); Alice keeps writing.
    await bob.close();
    // More than one page (50): the first unread is not in the first page Bob loads.
    const backlog = Array.from({ length: 60 }, (_, i) => `backlog ${i + 1}`);
    for (const text of backlog) await send(alice.page, text);
    await expect.poll(() => alice.page.locator('[data-test="message"][data-status="pending"]').count(), { timeout: 20_000 }).toBe(0);

    // Bob starts again on the same data directory: signed in with the stored device token, backlog synced.
    bob = await openUser(browser, 'bob', [server.endpoint], { dataDir: bob.dataDir });
    await bob.page.getByTestId('nav-chats').waitFor({ timeout: 30_000 });
    await waitOnline(bob.page);
    // The conversation Bob had open when he quit comes back at launch, and the backlog is read there.
    await headerIs(bob.page, 'Alice');
    await waitForMessage(bob.page, 'backlog 60');
    await shot(bob.page, '20-backlog-restored-conversation');
    await shot(bob.page, '21-backlog-latest-page');

    // Jump to the first unread: older pages load until the "new messages" marker, right before "backlog 1".
    await bob.page.getByTestId('jump-unread').click();
    await bob.page.getByTestId('unread-marker').waitFor();
    await expect
      .poll(() => bob.page.evaluate(() => document.querySelector('[data-test="unread-marker"]')?.closest('[data-index]')?.nextElementSibling?.querySelector('[data-test="message-text"]')?.textContent))
      .toBe('backlog 1');
    await shot(bob.page, '21b-jumped-to-first-unread');

    // Every message exactly once, in order (the list is virtualised: collect it by scrolling).
    expect(await allMessageTexts(bob.page)).toEqual(['before you left', ...backlog]);
    await bob.page.waitForTimeout(1000); // late pushes must not add duplicates either
    expect(await allMessageTexts(bob.page)).toEqual(['before you left', ...backlog]);
  });

  it('loading older history on scroll keeps the visible message in place', async () => {
    // The older page's reply is held between the web shell and the page until the probe has read where the top row
    // is; only then may the page insert the older messages. (Without the hold the reply could arrive within the two
    // frames before the baseline was read, and the test measured nothing: that was the old flake.)
    let releaseOlder: () => void = () => {};
    const olderMayPass = new Promise<void>((resolve) => (releaseOlder = resolve));
    let olderAsked = 0;
    await alice.page.routeWebSocket(/\/ws\?/, (page) => {
      const shell = page.connectToServer();
      const olderCalls = new Set<number>();
      page.onMessage((data) => {
        const call = JSON.parse(String(data)) as { id?: number; method?: string; args?: { anchor?: { direction?: string } } };
        if (call.method === 'loadMessages' && call.args?.anchor?.direction === 'before' && call.id !== undefined) {
          olderCalls.add(call.id);
          olderAsked++;
        }
        shell.send(data);
      });
      shell.onMessage((data) => {
        const reply = JSON.parse(String(data)) as { id?: number };
        if (reply.id !== undefined && olderCalls.has(reply.id)) void olderMayPass.then(() => page.send(data));
        else page.send(data);
      });
    });
    try {
      // Alice reopens the chat (a fresh window of the latest page; the reload goes through the route), then scrolls to the top.
      await alice.page.getByTestId('nav-contacts').click();
      await alice.page.reload();
      await alice.page.getByTestId('nav-chats').waitFor();
      await openConversation(alice.page, 'Bob');
      await waitForMessage(alice.page, 'backlog 60');
      const baseline = await alice.page.evaluate(async () => {
        const el = document.querySelector('[data-test="message-list"]')!;
        const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        el.scrollTop = 0;
        await frame();
        const top = [...el.querySelectorAll('[data-test="message"]')].find((m) => m.getBoundingClientRect().top >= el.getBoundingClientRect().top)!;
        const id = top.getAttribute('data-id')!;
        return { id, top: top.getBoundingClientRect().top, index: Number(top.closest('[data-index]')!.getAttribute('data-index')) };
      });
      // Scrolling to the top asked for the older page, and its reply is being held.
      await expect.poll(() => olderAsked, { timeout: 20_000, message: 'the list should ask for the older page when scrolled to the top' }).toBeGreaterThan(0);
      releaseOlder();
      // The older page arrives above: the row moves down the list (its index grows) but not on the screen.
      await expect
        .poll(() => alice.page.evaluate((id) => Number(document.querySelector(`[data-id="${id}"]`)?.closest('[data-index]')?.getAttribute('data-index') ?? -1), baseline.id), {
          timeout: 20_000,
          message: 'the older page should be inserted above the row that was at the top',
        })
        .toBeGreaterThan(baseline.index);
      const after = await alice.page.evaluate(async (id) => {
        const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        for (let i = 0; i < 10; i++) await frame(); // let the virtual list finish measuring the new rows
        return document.querySelector(`[data-id="${id}"]`)?.getBoundingClientRect().top ?? null;
      }, baseline.id);
      await waitForMessage(alice.page, 'before you left');
      expect(after).not.toBeNull();
      expect(Math.abs(after! - baseline.top)).toBeLessThan(8);
      await shot(alice.page, '21c-older-page-loaded-steady');
    } finally {
      releaseOlder(); // the route stays, passing everything through, for the rest of the file
    }
  });

  it('what failed while the server was down is sent by itself, in order, when it returns', async () => {
    await server.stop();
    const banner = alice.page.getByTestId('connection-banner');
    await banner.waitFor({ timeout: 30_000 });
    const texts = ['sent while the server was down', 'and a second one'];
    for (const text of texts) await send(alice.page, text);
    const bubbles = texts.map((text) => alice.page.getByTestId('message').filter({ hasText: text }));
    for (const b of bubbles) await expect.poll(() => b.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
    // The banner never hides the conversation: history and the failed messages stay visible.
    await expect.poll(() => alice.page.getByTestId('message-text').count()).toBeGreaterThan(5);
    // The chat list marks the failed message; Bob is not called offline: it is we who are.
    const bobItem = alice.page.getByTestId('conversation-item').filter({ hasText: 'Bob' });
    await bobItem.getByTestId('last-failed').waitFor();
    expect(await alice.page.getByTestId('conversation-subtitle').textContent()).toBe('');
    await shot(alice.page, '22-failed-send-offline');

    // No click: the client finds the server within seconds and sends both, once, in order.
    await server.restart();
    await waitOnline(alice.page);
    for (const b of bubbles) await expect.poll(() => b.getAttribute('data-status'), { timeout: 20_000 }).toMatch(/sent|delivered|read/);
    await waitForMessage(bob.page, texts[1]!);
    const atBob = await messageTexts(bob.page);
    for (const text of texts) expect(atBob.filter((t) => t === text)).toHaveLength(1);
    expect(atBob.slice(-2)).toEqual(texts);
    await expect.poll(() => bobItem.getByTestId('last-failed').count()).toBe(0);
    await shot(alice.page, '23-sent-when-back');
  });

  it('a lost key of the local data: sign in with the password, the chats come back from the server, the notice says why', async () => {
    const erin = await openUser(browser, 'erin', [server.endpoint]);
    dirs.push(erin.dataDir);
    let again: User | undefined;
    try {
      await register(erin.page, 'erin', 'Erin');
      await sendFriendRequest(erin.page, 'alice');
      await acceptFriendRequest(alice.page, 'Erin');
      await chatWith(erin.page, 'Alice');
      await send(erin.page, 'written before the key was lost');
      await erin.close();
      expect(readFileSync(join(erin.dataDir, 'data.key'), 'utf8').trim()).toHaveLength(44);
      rmSync(join(erin.dataDir, 'data.key')); // as when the keychain entry is gone

      again = await openUser(browser, 'erin', [server.endpoint], { dataDir: erin.dataDir });
      const page = again.page;
      // The stored token cannot be unsealed any more: the password is asked for.
      await page.getByTestId('username').fill('erin');
      await page.getByTestId('password').fill(PASSWORD);
      await page.getByTestId('submit').click();
      await expect.poll(() => page.getByTestId('cache-notice').textContent(), { timeout: 30_000 }).toContain('no longer has the key of your local data');
      await chatWith(page, 'Alice');
      await waitForMessage(page, 'written before the key was lost');
      await shot(page, '27-cache-key-lost-rebuilt');
      // The old file is set aside, never deleted.
      const accountDir = join(erin.dataDir, 'accounts', readdirSync(join(erin.dataDir, 'accounts'))[0]!);
      expect(readdirSync(accountDir).some((f) => f.startsWith('cache.db.corrupt-'))).toBe(true);
    } finally {
      await again?.close();
    }
  });

  it('first run explains a wrong password, an unreachable server and a server key mismatch', async () => {
    const dave = await openUser(browser, 'dave', [server.endpoint], { locale: 'zh-CN' });
    dirs.push(dave.dataDir);
    try {
      const page = dave.page;
      await page.getByTestId('username').fill('alice');
      await page.getByTestId('password').fill('not her password');
      await page.getByTestId('submit').click();
      await expect.poll(() => page.getByTestId('auth-error').textContent(), { timeout: 20_000 }).toBe('用户名或密码错误。');
      await shot(page, '24-first-run-wrong-password-zh');

      await page.getByTestId('server-toggle').click();
      const realKey = await page.getByTestId('server-key').inputValue();
      await page.getByTestId('server-key').fill(Buffer.alloc(32, 7).toString('base64'));
      await page.getByTestId('submit').click();
      await expect.poll(() => page.getByTestId('auth-error').textContent(), { timeout: 30_000 }).toContain('公钥');
      await shot(page, '25-first-run-key-mismatch-zh');

      await page.getByTestId('server-key').fill(realKey);
      await page.getByTestId('server-port').fill('1');
      await page.getByTestId('submit').click();
      await expect.poll(() => page.getByTestId('auth-error').textContent(), { timeout: 30_000 }).toContain('无法连接服务器');
      await shot(page, '26-first-run-unreachable-zh');
    } finally {
      await dave.close();
    }
  });
});
