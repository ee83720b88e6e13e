/**
 * Two people register, become friends and chat both ways; a third joins a
 * group chat with a mention; unread counts and conversation order; a Chinese
 * phrase found by search; dark theme and the English/Chinese switch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  acceptFriendRequest, shotOnFailure, chatWith, conversationList, launchBrowser, messageTexts, openConversation, openUser, register, removeDir,
  send, sendFriendRequest, shot, startTestServer, waitForMessage, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let alice: User;
let bob: User;
let carol: User;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  alice = await openUser(browser, 'alice', [server.endpoint]);
  bob = await openUser(browser, 'bob', [server.endpoint]);
  carol = await openUser(browser, 'carol', [server.endpoint], { locale: 'zh-CN' });
});

afterAll(async () => {
  for (const u of [alice, bob, carol]) await u?.close();
  await browser?.close();
  await server?.stop();
  for (const u of [alice, bob, carol]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [alice, bob, carol]));

describe('chat end to end', () => {
  it('two users register, become friends and chat both ways', async () => {
    await shot(alice.page, '01-first-run');
    await register(alice.page, 'alice', 'Alice');
    await register(bob.page, 'bob', 'Bob');
    await shot(alice.page, '02-empty-main');

    await sendFriendRequest(alice.page, 'bob');
    await bob.page.getByTestId('nav-contacts').click();
    await bob.page.getByTestId('friend-request').filter({ hasText: 'Alice' }).waitFor();
    await shot(bob.page, '03-friend-request');
    await acceptFriendRequest(bob.page, 'Alice');
    await alice.page.getByTestId('friend').filter({ hasText: 'Bob' }).waitFor();

    await chatWith(alice.page, 'Bob');
    await send(alice.page, 'Hi Bob! Lunch tomorrow?');
    await waitForMessage(alice.page, 'Hi Bob!');
    await expect.poll(() => alice.page.getByTestId('message').last().getAttribute('data-status'), { timeout: 15_000 }).not.toBe('pending');

    await openConversation(bob.page, 'Alice');
    await waitForMessage(bob.page, 'Hi Bob! Lunch tomorrow?');
    await send(bob.page, '好的，明天中午一起吃饭吧');
    await send(bob.page, 'Shift+Enter check:');
    await waitForMessage(alice.page, '好的，明天中午一起吃饭吧');
    // Alice has the conversation open, so Bob's messages are read: her read receipts reach Bob.
    await expect.poll(() => bob.page.getByTestId('message').filter({ hasText: '好的' }).getAttribute('data-status'), { timeout: 15_000 }).toBe('read');

    // Shift+Enter adds a line; Enter sends the two lines as one message.
    const box = alice.page.getByTestId('composer');
    await box.fill('line one');
    await box.press('Shift+Enter');
    await box.pressSequentially('line two');
    await box.press('Enter');
    await waitForMessage(bob.page, 'line two');
    expect((await messageTexts(bob.page)).at(-1)).toBe('line one\nline two');
    expect(await messageTexts(alice.page)).toEqual(['Hi Bob! Lunch tomorrow?', '好的，明天中午一起吃饭吧', 'Shift+Enter check:', 'line one\nline two']);
    await shot(alice.page, '04-direct-chat-alice');
    await shot(bob.page, '05-direct-chat-bob');

    // Typing indicator: Alice types without sending; Bob sees it, and it goes when she clears the box.
    await alice.page.getByTestId('composer').pressSequentially('thinking');
    await expect.poll(() => bob.page.getByTestId('typing').textContent(), { timeout: 15_000 }).toBe('Alice is typing…');
    await shot(bob.page, '05b-typing');
    // The "new messages" marker stays where Bob's unread began when he opened the chat (Alice's first message).
    const afterMarker = await bob.page.evaluate(() =>
      document.querySelector('[data-test="unread-marker"]')?.closest('[data-index]')?.nextElementSibling?.querySelector('[data-test="message-text"]')?.textContent,
    );
    expect(afterMarker).toBe('Hi Bob! Lunch tomorrow?');
    await alice.page.getByTestId('composer').fill('');
    await alice.page.getByTestId('composer').press('Backspace');

    // Reply with a quote: Bob answers Alice's first message.
    const first = bob.page.getByTestId('message').filter({ hasText: 'Hi Bob! Lunch tomorrow?' });
    await first.hover();
    await first.getByTestId('reply').click();
    await bob.page.getByTestId('reply-bar').waitFor();
    await send(bob.page, 'Yes, noon works');
    const reply = alice.page.getByTestId('message').filter({ hasText: 'Yes, noon works' });
    await reply.waitFor({ timeout: 20_000 });
    expect(await reply.getByTestId('message-quote').textContent()).toContain('Hi Bob! Lunch tomorrow?');

    // Recall: Alice takes back her two-line message; Bob sees it recalled.
    const twoLines = alice.page.getByTestId('message').filter({ hasText: 'line two' });
    await twoLines.getByTestId('message-bubble').click({ button: 'right' });
    await alice.page.getByTestId('menu-recall').click();
    await bob.page.getByTestId('message-recalled').waitFor({ timeout: 20_000 });
    expect(await bob.page.getByTestId('message-text').allTextContents()).not.toContain('line one\nline two');
    await shot(alice.page, '05c-reply-and-recall-alice');
    await shot(bob.page, '05d-reply-and-recall-bob');
  });

  it('a three-person group chat with a mention', async () => {
    await register(carol.page, 'carol', '王小红');
    await sendFriendRequest(carol.page, 'alice');
    await acceptFriendRequest(alice.page, '王小红');

    // Alice creates the group with Bob and Carol.
    await alice.page.getByTestId('nav-groups').click();
    await alice.page.getByTestId('group-new').click();
    await alice.page.getByTestId('group-name').fill('Weekend hike');
    await alice.page.getByTestId('group-member-bob').check();
    await alice.page.getByTestId('group-member-carol').check();
    await alice.page.getByTestId('group-create').click();
    await alice.page.getByTestId('group-detail').waitFor();
    await expect.poll(() => alice.page.getByTestId('group-member-row').count()).toBe(3);
    await alice.page.getByTestId('group-rename').click();
    await alice.page.getByTestId('group-rename-input').fill('Weekend hike 周末爬山');
    await alice.page.getByTestId('group-rename-input').press('Enter');
    await alice.page.getByTestId('group-detail').getByRole('heading', { name: 'Weekend hike 周末爬山' }).waitFor();
    await alice.page.getByTestId('group-rename').click();
    await alice.page.getByTestId('group-rename-input').fill('Weekend hike');
    await alice.page.getByTestId('group-rename-input').press('Enter');
    await alice.page.getByTestId('group-detail').getByRole('heading', { name: 'Weekend hike', exact: true }).waitFor();
    await shot(alice.page, '06-group-detail');
    await alice.page.getByTestId('group-open').click();
    await send(alice.page, 'Who is coming on Saturday?');

    // Carol mentions Bob through the member picker.
    await openConversation(carol.page, 'Weekend hike');
    await waitForMessage(carol.page, 'Who is coming on Saturday?');
    const box = carol.page.getByTestId('composer');
    await box.click();
    await box.pressSequentially('我来！ @bo');
    await carol.page.getByTestId('mention-picker').waitFor();
    await shot(carol.page, '07-mention-picker');
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('我来！ @Bob ');
    await box.pressSequentially('你呢？');
    await box.press('Enter');

    // Bob sees the group with the mention flag before opening it, then the message with sender name.
    await bob.page.getByTestId('nav-chats').click();
    const item = bob.page.getByTestId('conversation-item').filter({ hasText: 'Weekend hike' });
    await item.filter({ hasText: '[Mentioned]' }).waitFor({ timeout: 20_000 });
    await shot(bob.page, '08-mentioned-in-list');
    await openConversation(bob.page, 'Weekend hike');
    await waitForMessage(bob.page, '我来！ @Bob 你呢？');
    await expect.poll(() => bob.page.getByTestId('message-sender').allTextContents()).toEqual(['Alice', '王小红']);
    await send(bob.page, 'Count me in');
    await waitForMessage(alice.page, 'Count me in');
    await waitForMessage(carol.page, 'Count me in');
    await shot(bob.page, '09-group-chat-bob');
    await shot(carol.page, '10-group-chat-carol-zh');
  });

  it('unread counts and conversation order follow new messages', async () => {
    // Alice is in settings (no conversation on screen); messages arrive in both conversations.
    await alice.page.getByTestId('nav-settings').click();
    await send(bob.page, 'one more thing for the group');
    await openConversation(bob.page, 'Alice');
    for (const text of ['ping 1', 'ping 2', 'ping 3']) await send(bob.page, text);
    await expect.poll(() => alice.page.getByTestId('nav-chats').locator('.badge').textContent(), { timeout: 20_000 }).toBe('4');
    await shot(alice.page, '11-unread-badge');
    // Back to chats: the open group is now seen (read); Bob moved to the top with 3 unread.
    await alice.page.getByTestId('nav-chats').click();
    await expect
      .poll(async () => (await conversationList(alice.page)).map((c) => `${c.title}:${c.unread}`), { timeout: 20_000 })
      .toEqual(['Bob:3', 'Weekend hike:0']);
    await shot(alice.page, '12-unread-and-order');
    await openConversation(alice.page, 'Bob');
    await expect.poll(async () => (await conversationList(alice.page)).map((c) => c.unread)).toEqual([0, 0]);
    await alice.page.getByTestId('unread-marker').waitFor();
    await shot(alice.page, '13-new-messages-marker');
    // Alt+Down moves to the next conversation in the list.
    await alice.page.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => alice.page.getByTestId('conversation-header').textContent()).toBe('Weekend hike');
  });

  it('finds a Chinese phrase by search and opens it in context', async () => {
    await alice.page.keyboard.press('Control+k');
    const input = alice.page.getByTestId('search-input');
    await expect.poll(() => input.evaluate((el) => el === document.activeElement)).toBe(true);
    await input.fill('一起吃饭');
    await alice.page.getByTestId('search-hit').first().waitFor();
    expect(await alice.page.locator('[data-test="search-hit"] mark').first().textContent()).toContain('吃饭');
    await alice.page.getByTestId('search-hit').first().click();
    await expect.poll(() => alice.page.getByTestId('conversation-header').textContent()).toBe('Bob');
    await waitForMessage(alice.page, '好的，明天中午一起吃饭吧');
    await shot(alice.page, '14-search-chinese');
  });

  it('keeps a 20,000-character paste whole, shows the counter and the limit, and sends it once shortened', async () => {
    const page = alice.page;
    const box = page.getByTestId('composer');
    const paste = 'A long paste, pasted whole. '.repeat(715).slice(0, 20_000);
    await box.click();
    await box.fill(paste);
    expect(await box.inputValue()).toHaveLength(20_000); // nothing was cut
    await expect.poll(() => page.getByTestId('char-counter').textContent()).toContain('20000 / 8000');
    expect(await page.getByTestId('too-long').textContent()).toContain('Remove 12000 to send it');
    expect(await page.getByTestId('send').isDisabled()).toBe(true);
    await box.press('Enter');
    expect(await box.inputValue()).toHaveLength(20_000);
    await shot(page, '14b-composer-too-long');
    const shorter = paste.slice(0, 7_500);
    await box.fill(shorter);
    expect(await page.getByTestId('too-long').count()).toBe(0);
    await box.press('Enter');
    await expect.poll(() => box.inputValue()).toBe('');
    await expect.poll(() => page.getByTestId('message-text').last().textContent()).toBe(shorter.trim());
  });

  it('switches to the dark theme and between English and Chinese', async () => {
    const page = alice.page;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('theme-dark').check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(21, 24, 28)');
    await shot(page, '15-settings-dark-en');
    const update = page.getByTestId('update-status');
    await update.scrollIntoViewIfNeeded();
    expect(await update.textContent()).toBe('Updates are not available in the browser version');
    await shot(page, '15b-settings-updates-dark-en');
    await page.getByTestId('language').selectOption('zh-CN');
    await expect.poll(() => page.getByTestId('nav-chats').getAttribute('aria-label')).toBe('聊天');
    await shot(page, '16-settings-dark-zh');
    await openConversation(page, 'Weekend hike');
    await shot(page, '17-group-dark-zh');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('language').selectOption('en');
    await expect.poll(() => page.getByTestId('nav-chats').getAttribute('aria-label')).toBe('Chats');
    await page.getByTestId('theme-light').check();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    // Carol's browser says zh-CN: her UI followed the system language from the start.
    expect(await carol.page.getByTestId('nav-chats').getAttribute('aria-label')).toBe('聊天');
    for (const u of [alice, bob, carol]) expect(u.problems.filter((p) => /Content.Security.Policy|pageerror/i.test(p))).toEqual([]);
  });
});
