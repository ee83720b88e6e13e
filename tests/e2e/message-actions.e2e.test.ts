/**
 * Message actions in Chromium: formatting, links (opened outside the app),
 * mentions; the context menu; edit (the other side sees "edited"); reactions
 * with counts and who, from the quick row and the picker; the composer's emoji
 * picker with the colour emoji font; copy; select several and forward; delete
 * for me (the other side keeps it); read ticks in their own colour; a search
 * hit that leaves no "Jump to latest" behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  acceptFriendRequest, chatWith, launchBrowser, openConversation, openUser, register, removeDir, send, sendFriendRequest, shot, shotOnFailure,
  startTestServer, waitForMessage, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let ann: User;
let ben: User;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  ann = await openUser(browser, 'ann', [server.endpoint]);
  ben = await openUser(browser, 'ben', [server.endpoint], { locale: 'zh-CN' });
  await ann.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ann.shell.url).origin });
});

afterAll(async () => {
  for (const u of [ann, ben]) await u?.close();
  await browser?.close();
  await server?.stop();
  for (const u of [ann, ben]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [ann, ben]));

const bubble = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text });

async function menuOn(page: Page, text: string): Promise<void> {
  await bubble(page, text).first().getByTestId('message-bubble').click({ button: 'right' });
  await page.getByTestId('message-menu').waitFor();
}

describe('message actions end to end', () => {
  it('formatting, links and edit; reactions; emoji; copy; select and forward; delete for me', async () => {
    await register(ann.page, 'ann', 'Ann');
    await register(ben.page, 'ben', 'Ben');
    await sendFriendRequest(ann.page, 'ben');
    await ben.page.getByTestId('nav-contacts').click();
    await acceptFriendRequest(ben.page, 'Ann');
    await ann.page.getByTestId('friend').filter({ hasText: 'Ben' }).waitFor();
    await chatWith(ann.page, 'Ben');

    // Formatting and a link, rendered as elements on the other side.
    await send(ann.page, '**Lunch** at `noon`? _maybe_ see https://example.com/menu');
    await openConversation(ben.page, 'Ann');
    await waitForMessage(ben.page, 'Lunch at noon?');
    const received = bubble(ben.page, 'Lunch at noon?');
    expect(await received.locator('strong').textContent()).toBe('Lunch');
    expect(await received.locator('code').textContent()).toBe('noon');
    expect(await received.locator('em').textContent()).toBe('maybe');
    const link = received.getByTestId('message-link');
    expect(await link.getAttribute('href')).toBe('https://example.com/menu');
    // A link opens a new window (the system browser, in the shells), never this page.
    const appUrl = ben.page.url();
    await ben.context.route('https://example.com/**', (route) => route.fulfill({ contentType: 'text/plain', body: 'outside' }));
    const [opened] = await Promise.all([ben.context.waitForEvent('page'), link.click()]);
    expect(opened.url()).toContain('example.com/menu');
    await opened.close();
    expect(ben.page.url()).toBe(appUrl);

    // Edit from the context menu: the composer holds the text, Enter saves, both sides show "edited".
    await menuOn(ann.page, 'Lunch at noon?');
    await shot(ann.page, 'actions-01-context-menu');
    await ann.page.getByTestId('menu-edit').click();
    await ann.page.getByTestId('edit-bar').waitFor();
    const box = ann.page.getByTestId('composer');
    expect(await box.inputValue()).toBe('**Lunch** at `noon`? _maybe_ see https://example.com/menu');
    await box.fill('**Lunch** at `one`? _maybe_ see https://example.com/menu');
    await box.press('Enter');
    await ann.page.getByTestId('edit-bar').waitFor({ state: 'detached' });
    await waitForMessage(ben.page, 'Lunch at one?');
    await bubble(ben.page, 'Lunch at one?').getByTestId('message-edited').waitFor();
    expect(await bubble(ben.page, 'Lunch at one?').getByTestId('message-edited').textContent()).toBe('已编辑');
    await shot(ben.page, 'actions-02-edited-and-formatted-zh');

    // Reactions: Ben from the quick row and the picker, Ann joins one; counts and who on both sides.
    await menuOn(ben.page, 'Lunch at one?');
    await ben.page.locator('[data-test="quick-reaction"][data-emoji="👍"]').click();
    await menuOn(ben.page, 'Lunch at one?');
    await ben.page.getByTestId('more-reactions').click();
    await ben.page.getByTestId('emoji-picker').waitFor();
    await ben.page.getByTestId('emoji-search').fill('熊猫');
    await ben.page.getByTestId('emoji').filter({ hasText: '🐼' }).click();
    const annChips = bubble(ann.page, 'Lunch at one?').getByTestId('reaction');
    await expect.poll(() => annChips.allTextContents(), { timeout: 20_000 }).toEqual(['👍1', '🐼1']);
    await annChips.first().click();
    await expect.poll(() => bubble(ben.page, 'Lunch at one?').getByTestId('reaction').first().textContent(), { timeout: 20_000 }).toBe('👍2');
    expect(await annChips.first().getAttribute('title')).toBe('Ben, You');
    expect(await annChips.first().getAttribute('aria-pressed')).toBe('true');
    await shot(ann.page, 'actions-03-reactions');

    // The composer's emoji picker; the colour emoji font is loaded (emoji are not boxes).
    await ben.page.getByTestId('emoji-button').click();
    await ben.page.getByTestId('emoji-picker').waitFor();
    await shot(ben.page, 'actions-04-emoji-picker-zh');
    await ben.page.getByTestId('emoji').filter({ hasText: '🐼' }).first().click();
    await ben.page.keyboard.press('Escape');
    await ben.page.getByTestId('composer').pressSequentially(' 好的 😂');
    await ben.page.getByTestId('composer').press('Enter');
    await waitForMessage(ann.page, '好的 😂');
    expect(await ann.page.evaluate(() => document.fonts.check('16px "Noto Color Emoji"', '😂'))).toBe(true);

    // Copy text.
    await menuOn(ann.page, 'Lunch at one?');
    await ann.page.getByTestId('menu-copy').click();
    await ann.page.getByTestId('message-notice').waitFor();
    expect(await ann.page.evaluate(() => navigator.clipboard.readText())).toBe('**Lunch** at `one`? _maybe_ see https://example.com/menu');

    // Select two messages and forward them (to this same chat: the copies arrive in order).
    await menuOn(ann.page, 'Lunch at one?');
    await ann.page.getByTestId('menu-select').click();
    await bubble(ann.page, '好的 😂').click();
    expect(await ann.page.getByTestId('select-count').textContent()).toBe('2 messages selected');
    await shot(ann.page, 'actions-05-selection');
    await ann.page.getByTestId('select-forward').click();
    await ann.page.getByTestId('forward-dialog').waitFor();
    await ann.page.getByTestId('forward-target').filter({ hasText: 'Ben' }).click();
    await ann.page.getByTestId('forward-send').click();
    await expect.poll(async () => (await ben.page.getByTestId('message-text').allTextContents()).filter((t) => t.includes('好的 😂')).length, { timeout: 20_000 }).toBe(2);
    expect(await ann.page.getByTestId('select-bar').count()).toBe(0);

    // Delete for me (the original; the forwarded copy stays): one left at Ann, both still at Ben.
    await menuOn(ann.page, 'Lunch at one?');
    expect(await ann.page.getByTestId('menu-delete').textContent()).toBe('Delete for me');
    await ann.page.getByTestId('menu-delete').click();
    await ann.page.getByTestId('confirm-ok').click();
    await expect.poll(() => bubble(ann.page, 'Lunch at one?').count()).toBe(1);
    expect(await bubble(ann.page, 'Lunch at one?').getByTestId('message-edited').count()).toBe(0);
    expect(await bubble(ben.page, 'Lunch at one?').count()).toBe(2);

    // Read ticks have their own colour once Ben has read Ann's latest.
    await send(ann.page, 'read me');
    await waitForMessage(ben.page, 'read me');
    const status = bubble(ann.page, 'read me').getByTestId('message-status');
    await expect.poll(() => status.getAttribute('class'), { timeout: 20_000 }).toContain('read');
    const colours = await status.evaluate((el) => getComputedStyle(el).color);
    expect(colours).toBe('rgb(10, 107, 54)');
    await shot(ann.page, 'actions-06-after-delete-and-read');
  });

  it('a search hit in a short chat leaves no "Jump to latest" behind, and my own hits say "You"', async () => {
    await ann.page.getByTestId('nav-search').click();
    await ann.page.getByTestId('search-input').fill('read');
    const hit = ann.page.getByTestId('search-hit').filter({ hasText: 'read me' });
    await hit.waitFor();
    expect(await hit.textContent()).toContain('You');
    await hit.click();
    await ann.page.getByTestId('message-list').waitFor();
    await ann.page.waitForTimeout(300);
    expect(await ann.page.getByTestId('jump-latest').count()).toBe(0);
    await ann.page.getByTestId('nav-contacts').click();
    await ann.page.getByTestId('nav-chats').click();
    await ann.page.getByTestId('message-list').waitFor();
    await ann.page.waitForTimeout(300);
    expect(await ann.page.getByTestId('jump-latest').count()).toBe(0);
    await shot(ann.page, 'actions-07-after-search-hit');
  });
});
