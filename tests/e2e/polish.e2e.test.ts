/**
 * Rough edges of issue 13 in Chromium: form errors under the field that
 * caused them (in both languages), the create-group button that says
 * "Create", answered friend requests that stay listed with their outcome,
 * avatar initials that never mix scripts, a "Continue as" button that never
 * wraps, the last message kept in view when the offline banner appears, the
 * sidebar collapsed in a 760 px window, the forward dialog's wording, group
 * read counts ("Read by 3", who on click), and edit / react while offline
 * (refused with a sentence that says why; the edit is kept and saved once back).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import {
  acceptFriendRequest, chatWith, launchBrowser, openConversation, openUser, PASSWORD, register, removeDir, send, sendFriendRequest, shot, shotOnFailure,
  startTestServer, waitForMessage, waitOnline, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let ann: User;
let bao: User;
let chen: User;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  ann = await openUser(browser, 'ann', [server.endpoint]);
  bao = await openUser(browser, 'bao', [server.endpoint], { locale: 'zh-CN' });
  chen = await openUser(browser, 'chen', [server.endpoint], { locale: 'zh-CN' });
});

afterAll(async () => {
  for (const u of [ann, bao, chen]) await u?.close();
  await browser?.close();
  await server?.stop();
  for (const u of [ann, bao, chen]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [ann, bao, chen]));

const box = async (l: Locator) => (await l.boundingBox())!;

async function fillRegister(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('submit').click();
}

describe('rough edges of issue 13', () => {
  it('form errors name the field and say why, next to it (en and zh-CN)', async () => {
    await register(bao.page, 'bao', 'Ben 鲍');
    const p = ann.page;
    await p.getByTestId('switch-mode').click();
    await fillRegister(p, 'A b', 'short');
    expect(await p.getByTestId('username-error').textContent()).toBe('Username may only use a–z, 0–9 and _ . - (no spaces or other letters).');
    expect(await p.getByTestId('password-error').textContent()).toBe('Password must be at least 8 characters.');
    expect(await p.getByTestId('username').getAttribute('aria-invalid')).toBe('true');
    // Under its own field, not at the bottom of the form.
    expect((await box(p.getByTestId('username-error'))).y).toBeLessThan((await box(p.getByTestId('password'))).y);
    expect(await p.getByTestId('auth-error').count()).toBe(0);
    await shot(p, 'polish-01-register-field-errors');
    // Typing clears the field's error; the server's "taken" shows under the username.
    await fillRegister(p, 'bao', PASSWORD);
    await expect.poll(() => p.getByTestId('username-error').textContent()).toBe('That username is taken. Please choose another.');
    expect(await p.getByTestId('password-error').count()).toBe(0);
    await p.getByTestId('nickname').fill('Ann Lee');
    await fillRegister(p, 'ann', PASSWORD);
    await p.getByTestId('nav-chats').waitFor();
    await waitOnline(p);

    // Add friend: a name that breaks the rules, no such user, yourself (in Chinese for Bao).
    await bao.page.getByTestId('nav-contacts').click();
    await bao.page.getByTestId('add-friend-username').fill('no one');
    await bao.page.getByTestId('add-friend-send').click();
    expect(await bao.page.getByTestId('add-friend-error').textContent()).toBe('用户名只能使用 a–z、0–9 和 _ . -（不能有空格或其他字符）。');
    await bao.page.getByTestId('add-friend-username').fill('nobody');
    await bao.page.getByTestId('add-friend-send').click();
    await expect.poll(() => bao.page.getByTestId('add-friend-error').textContent()).toBe('没有用户名为“nobody”的用户。');
    await shot(bao.page, 'polish-02-add-friend-not-found-zh');
    await bao.page.getByTestId('add-friend-username').fill('bao');
    await bao.page.getByTestId('add-friend-send').click();
    expect(await bao.page.getByTestId('add-friend-error').textContent()).toBe('这是你自己的用户名。');
  });

  it('answered friend requests stay listed with their outcome; initials never mix scripts', async () => {
    await register(chen.page, 'chen', '陈云');
    await sendFriendRequest(ann.page, 'bao');
    await sendFriendRequest(ann.page, 'chen');
    await acceptFriendRequest(bao.page, 'Ann Lee');
    // Bao accepted: the request stays, saying so, with a way to start chatting.
    const answered = bao.page.getByTestId('friend-request').filter({ hasText: 'Ann Lee' });
    expect(await answered.getByTestId('request-state').textContent()).toBe('你已接受');
    await answered.getByTestId('request-chat').waitFor();
    // Ann sees her request accepted (not silently gone), and Chen's still waiting.
    const mine = ann.page.getByTestId('friend-request').filter({ hasText: 'Ben 鲍' });
    await expect.poll(() => mine.getByTestId('request-state').textContent(), { timeout: 20_000 }).toBe('Accepted your request');
    expect(await ann.page.getByTestId('friend-request').filter({ hasText: '陈云' }).getByTestId('request-state').textContent()).toBe('Waiting for reply');
    // Initials: "B" for "Ben 鲍" (not "B鲍"), "陈" for 陈云, "AL" for Ann Lee.
    expect(await mine.locator('.avatar-initials').textContent()).toBe('B');
    expect(await ann.page.getByTestId('friend-request').filter({ hasText: '陈云' }).locator('.avatar-initials').textContent()).toBe('陈');
    expect(await ann.page.getByTestId('nav-me').locator('.avatar-initials').textContent()).toBe('AL');
    await shot(ann.page, 'polish-03-requests-answered-initials');
    // Dismissed, it moves to "Earlier requests" (collapsed), still there after a reload.
    await mine.getByTestId('request-dismiss').click();
    await ann.page.getByTestId('earlier-requests').waitFor();
    expect(await ann.page.getByTestId('friend-request').filter({ hasText: 'Ben 鲍' }).count()).toBe(0);
    await ann.page.reload();
    await waitOnline(ann.page);
    await ann.page.getByTestId('nav-contacts').click();
    await ann.page.getByTestId('earlier-requests').locator('summary').click();
    expect(await ann.page.getByTestId('earlier-request').filter({ hasText: 'Ben 鲍' }).textContent()).toContain('Accepted your request');
    await acceptFriendRequest(chen.page, 'Ann Lee');
    // From the accepted request straight into the chat.
    await bao.page.getByTestId('friend-request').filter({ hasText: 'Ann Lee' }).getByTestId('request-chat').click();
    await bao.page.waitForFunction(() => document.querySelector('[data-test="conversation-header"]')?.textContent === 'Ann Lee');
  });

  it('the create-group form says "Create" and names what is missing', async () => {
    const p = ann.page;
    await p.getByTestId('nav-groups').click();
    await p.getByTestId('group-new').click();
    expect((await p.getByTestId('group-create').textContent())?.trim()).toBe('Create');
    await p.getByTestId('group-create').click();
    expect(await p.getByTestId('group-name-error').textContent()).toBe('Group name is required.');
    await p.getByTestId('group-member-bao').check();
    await p.getByTestId('group-member-chen').check();
    await shot(p, 'polish-04-create-group-form');
    await p.getByTestId('group-name').fill('Team');
    expect(await p.getByTestId('group-name-error').count()).toBe(0);
    await p.getByTestId('group-create').click();
    await p.getByTestId('group').filter({ hasText: 'Team' }).waitFor();
  });

  it('keeps the last message in view when the offline banner appears; collapses the sidebar at 760 px', async () => {
    const p = ann.page;
    await chatWith(p, 'Ben 鲍');
    for (let i = 1; i <= 14; i++) await send(p, `line ${i} of a long afternoon`);
    await waitForMessage(p, 'line 14 of a long afternoon');
    const list = p.getByTestId('message-list');
    const last = p.getByTestId('message').filter({ hasText: 'line 14 of' });
    const inView = async () => {
      const l = await box(list);
      const m = await box(last);
      return m.y + m.height <= l.y + l.height + 1;
    };
    await expect.poll(inView).toBe(true);
    await server.stop();
    await p.getByTestId('connection-banner').waitFor();
    await expect.poll(inView).toBe(true);
    await shot(p, 'polish-05-offline-banner-last-message');
    await server.restart();
    await waitOnline(p);
    await expect.poll(inView).toBe(true);

    // 760 px: the list collapses to avatars (with badges) beside the open chat.
    await p.setViewportSize({ width: 760, height: 600 });
    await expect.poll(async () => (await box(p.getByTestId('side'))).width).toBeLessThanOrEqual(80);
    expect(await p.getByTestId('conversation-title').first().isVisible()).toBe(false);
    expect(await p.getByTestId('conversation-item').first().getAttribute('title')).toBeTruthy();
    const composer = await box(p.getByTestId('composer'));
    expect(composer.width).toBeGreaterThan(450);
    await expect.poll(inView).toBe(true);
    await shot(p, 'polish-06-sidebar-760');
    // Other panes keep their text, narrower.
    await p.getByTestId('nav-contacts').click();
    expect((await box(p.getByTestId('side'))).width).toBe(240);
    await shot(p, 'polish-07-contacts-760');
    await p.setViewportSize({ width: 1280, height: 800 });
  });

  it('the forward dialog says where to and how many', async () => {
    const p = ann.page;
    await p.getByTestId('nav-chats').click();
    await p.locator('[data-test="conversation-item"][title="Ben 鲍"]').click();
    await p.getByTestId('message').filter({ hasText: 'line 14 of' }).getByTestId('message-bubble').click({ button: 'right' });
    await p.getByTestId('menu-forward').click();
    const dialog = p.getByTestId('forward-dialog');
    await dialog.waitFor();
    expect(await dialog.locator('h2').textContent()).toBe('Forward 1 message');
    expect(await dialog.getByRole('listbox').getAttribute('aria-label')).toBe('Chats to forward to');
    expect((await p.getByTestId('forward-send').textContent())?.trim()).toBe('Forward');
    expect(await p.getByTestId('forward-count').textContent()).toContain('Choose up to 20 chats');
    await p.getByTestId('forward-target').filter({ hasText: 'Team' }).click();
    expect((await p.getByTestId('forward-send').textContent())?.trim()).toBe('Forward to 1 chat');
    expect(await p.getByTestId('forward-count').textContent()).toContain('1 of 20 chosen');
    await shot(p, 'polish-08-forward-dialog');
    await p.keyboard.press('Escape');
  });

  it('a group message says how many members read it, and who on click (en and zh-CN)', async () => {
    const p = ann.page;
    await openConversation(p, 'Team');
    await send(p, 'who has read this?');
    const mine = p.getByTestId('message').filter({ hasText: 'who has read this?' });
    const reads = mine.getByTestId('message-reads');
    const readsText = async () => ((await reads.count()) > 0 ? (await reads.textContent())?.trim() : '');
    // Nobody has read it yet: no count, the single tick.
    await mine.getByTestId('message-status').locator('svg').waitFor();
    expect(await readsText()).toBe('');
    await openConversation(bao.page, 'Team');
    await waitForMessage(bao.page, 'who has read this?');
    // Reads are not pushed in groups: asked for when the window gets focus (and every 15 s while the chat is open).
    const focusAndRead = async () => {
      await p.evaluate(() => window.dispatchEvent(new Event('focus')));
      return readsText();
    };
    await expect.poll(focusAndRead, { timeout: 40_000, interval: 500 }).toBe('Read by 1');
    expect(await reads.getAttribute('title')).toBe('Ben 鲍');
    expect(await mine.getByTestId('message-status').getAttribute('class')).not.toContain('read');
    await reads.click();
    const readers = mine.getByTestId('message-readers');
    await readers.waitFor();
    expect(await readers.getByTestId('reader').allTextContents()).toEqual(['Ben 鲍']);
    expect(await readers.getByTestId('not-reader').allTextContents()).toEqual(['陈云']);
    await shot(p, 'polish-10-group-read-by-1');
    await p.keyboard.press('Escape');
    await readers.waitFor({ state: 'detached' });

    // Chen reads and answers: the answer makes Ann's view ask at once; everyone read it, in the read colour.
    await openConversation(chen.page, 'Team');
    await waitForMessage(chen.page, 'who has read this?');
    await send(chen.page, '看到了');
    await waitForMessage(p, '看到了');
    await expect.poll(readsText, { timeout: 40_000 }).toBe('Read by all');
    expect(await mine.getByTestId('message-status').getAttribute('class')).toContain('read');
    await shot(p, 'polish-11-group-read-by-all');
    // In Chinese: Chen's message read by Ann (and soon Bao).
    const chens = chen.page.getByTestId('message').filter({ hasText: '看到了' }).getByTestId('message-reads');
    await expect.poll(async () => ((await chens.count()) > 0 ? (await chens.textContent())?.trim() : ''), { timeout: 40_000 }).toMatch(/^(1 人已读|全部已读)$/);
    await shot(chen.page, 'polish-12-group-read-zh');
  });

  it('edit and react while offline: refused, saying why and what to do; the edit is kept and saved with Enter once back', async () => {
    const p = ann.page;
    await p.getByTestId('nav-chats').click();
    await p.locator('[data-test="conversation-item"][title="Ben 鲍"]').click();
    await send(p, 'see you at noon');
    const mine = p.getByTestId('message').filter({ hasText: 'see you at noon' });
    await expect.poll(() => mine.getAttribute('data-status'), { timeout: 20_000 }).not.toBe('pending');
    await server.stop();
    await p.getByTestId('connection-banner').waitFor();

    await mine.getByTestId('message-bubble').click({ button: 'right' });
    await p.getByTestId('menu-edit').click();
    const box = p.getByTestId('composer');
    await box.fill('see you at one');
    await box.press('Enter');
    const error = p.getByTestId('message-action-error');
    await expect.poll(() => error.textContent()).toContain('You are offline, so the edit was not saved');
    // Nothing lost: still editing, the new text still in the box, the message unchanged.
    expect(await p.getByTestId('edit-bar').isVisible()).toBe(true);
    expect(await box.inputValue()).toBe('see you at one');
    expect(await mine.getByTestId('message-text').textContent()).toBe('see you at noon');
    await shot(p, 'polish-13-offline-edit-refused');

    await server.restart();
    await waitOnline(p);
    await box.press('Enter');
    await p.getByTestId('edit-bar').waitFor({ state: 'detached' });
    await expect.poll(() => p.getByTestId('message').filter({ hasText: 'see you at one' }).getByTestId('message-edited').count()).toBe(1);
    expect(await error.count()).toBe(0);

    // The other side sees the edit. Then a reaction offline, in Chinese: refused with its own sentence, nothing shown as reacted.
    await bao.page.getByTestId('nav-chats').click();
    await bao.page.locator('[data-test="conversation-item"][title="Ann Lee"]').click();
    await waitForMessage(bao.page, 'see you at one');
    await server.stop();
    await bao.page.getByTestId('connection-banner').waitFor();
    await bao.page.getByTestId('message').filter({ hasText: 'see you at one' }).getByTestId('message-bubble').click({ button: 'right' });
    await bao.page.locator('[data-test="quick-reaction"][data-emoji="👍"]').click();
    await expect.poll(() => bao.page.getByTestId('message-action-error').textContent()).toContain('你已离线，表情回应未添加');
    expect(await bao.page.getByTestId('message').filter({ hasText: 'see you at one' }).getByTestId('reaction').count()).toBe(0);
    await shot(bao.page, 'polish-14-offline-react-refused-zh');
    await server.restart();
    await waitOnline(bao.page);
    await waitOnline(p);
  });

  it('"Continue as" keeps a long name on one line', async () => {
    const p = ann.page;
    await p.getByTestId('nav-settings').click();
    await p.getByTestId('logout').click();
    const button = p.getByTestId('continue-as');
    await button.waitFor();
    await p.setViewportSize({ width: 400, height: 700 });
    const b = await box(button);
    const lineHeight = await button.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 20);
    expect(b.height).toBeLessThan(lineHeight * 1.5);
    expect(await button.textContent()).toBe('Continue as Ann Lee');
    await shot(p, 'polish-09-continue-as-narrow');
    await p.setViewportSize({ width: 1280, height: 800 });
  });
});
