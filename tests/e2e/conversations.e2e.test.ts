/**
 * The chat list as a Telegram user expects it: the unread badge right after
 * a reload, a context menu on a conversation (mute for a while with a grey
 * badge, pin, mark read/unread, delete), the header's "new chat" and
 * "search" buttons, and the last open conversation restored at launch.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  acceptFriendRequest, chatWith, headerIs, launchBrowser, openUser, register, removeDir, send, sendFriendRequest, shot, shotOnFailure,
  startTestServer, waitForMessage, waitOnline, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let alice: User;
let bob: User;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  alice = await openUser(browser, 'alice', [server.endpoint]);
  bob = await openUser(browser, 'bob', [server.endpoint]);
});

afterAll(async () => {
  for (const u of [alice, bob]) await u?.close();
  await browser?.close();
  await server?.stop();
  for (const u of [alice, bob]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [alice, bob]));

const railBadge = (u: User) => u.page.getByTestId('nav-chats').locator('.badge');
const item = (u: User, title: string) => u.page.getByTestId('conversation-item').filter({ hasText: title });

describe('the chat list', () => {
  it('shows the unread total right after a reload', async () => {
    await register(alice.page, 'alice', 'Alice');
    await register(bob.page, 'bob', 'Bob');
    await sendFriendRequest(alice.page, 'bob');
    await acceptFriendRequest(bob.page, 'Alice');
    await chatWith(bob.page, 'Alice');
    for (const text of ['first', 'second', 'third']) await send(bob.page, text);
    await alice.page.getByTestId('nav-settings').click();
    await expect.poll(() => railBadge(alice).textContent(), { timeout: 20_000 }).toBe('3');
    await alice.page.reload();
    await waitOnline(alice.page);
    // Before any later event: the total comes from the list itself.
    await expect.poll(() => railBadge(alice).textContent(), { timeout: 10_000 }).toBe('3');
    await shot(alice.page, 'conv-01-badge-after-reload');
  });

  it('mutes for an hour from the context menu: grey badge, out of the total', async () => {
    await alice.page.getByTestId('nav-chats').click();
    await item(alice, 'Bob').click({ button: 'right' });
    const menu = alice.page.getByTestId('context-menu');
    await menu.waitFor();
    await menu.getByTestId('menu-mute').hover();
    await menu.getByTestId('menu-mute-hour').waitFor();
    await shot(alice.page, 'conv-02-context-menu-mute');
    await menu.getByTestId('menu-mute-hour').click();
    await expect.poll(() => item(alice, 'Bob').getByTestId('muted-mark').count()).toBe(1);
    await expect.poll(() => railBadge(alice).count()).toBe(0);
    expect(await item(alice, 'Bob').getByTestId('unread').getAttribute('class')).toContain('muted-badge');
    expect(await item(alice, 'Bob').getByTestId('muted-mark').getAttribute('title')).toMatch(/^Muted until /);
    // A new message in a muted chat: the count grows, the total does not.
    await send(bob.page, 'fourth');
    await expect.poll(() => item(alice, 'Bob').getByTestId('unread').textContent(), { timeout: 20_000 }).toBe('4');
    expect(await railBadge(alice).count()).toBe(0);
    await shot(alice.page, 'conv-03-muted-grey-badge');
    // Unmute from the keyboard (Shift+F10 opens the same menu).
    await item(alice, 'Bob').focus();
    await alice.page.keyboard.press('Shift+F10');
    await alice.page.getByTestId('menu-unmute').click();
    await expect.poll(() => railBadge(alice).textContent()).toBe('4');
  });

  it('pins, marks read, marks unread, and deletes', async () => {
    await item(alice, 'Bob').click({ button: 'right' });
    await alice.page.getByTestId('menu-pin').click();
    await expect.poll(() => item(alice, 'Bob').getAttribute('aria-label')).toContain('Pinned');
    await item(alice, 'Bob').click({ button: 'right' });
    await alice.page.getByTestId('menu-read').click();
    await expect.poll(() => railBadge(alice).count()).toBe(0);
    expect(await item(alice, 'Bob').getByTestId('unread').count()).toBe(0);
    await item(alice, 'Bob').click({ button: 'right' });
    await alice.page.getByTestId('menu-unread').click();
    await item(alice, 'Bob').getByTestId('marked-unread').waitFor();
    await expect.poll(() => railBadge(alice).textContent()).toBe('1');
    await shot(alice.page, 'conv-04-pinned-marked-unread');
    // Opening it reads it.
    await item(alice, 'Bob').click();
    await headerIs(alice.page, 'Bob');
    await expect.poll(() => item(alice, 'Bob').getByTestId('marked-unread').count()).toBe(0);
    await expect.poll(() => railBadge(alice).count()).toBe(0);
  });

  it('restores the last open conversation at launch', async () => {
    await alice.page.reload();
    await headerIs(alice.page, 'Bob');
    await waitForMessage(alice.page, 'fourth');
    await shot(alice.page, 'conv-05-restored-after-reload');
  });

  it('the header starts a new chat or a search; a deleted chat is gone until the next message', async () => {
    await item(alice, 'Bob').click({ button: 'right' });
    await alice.page.getByTestId('menu-delete').click();
    await alice.page.getByTestId('confirm-ok').click();
    await expect.poll(() => item(alice, 'Bob').count()).toBe(0);
    await alice.page.getByTestId('list-new-chat').click();
    await alice.page.getByTestId('new-chat-filter').fill('bo');
    await shot(alice.page, 'conv-06-new-chat');
    await alice.page.getByTestId('new-chat-friend').filter({ hasText: 'Bob' }).click();
    await headerIs(alice.page, 'Bob');
    await send(alice.page, 'back again');
    await waitForMessage(bob.page, 'back again');
    await alice.page.getByTestId('list-search').click();
    await alice.page.getByTestId('search-input').waitFor();
    await alice.page.getByTestId('nav-chats').click();
    await alice.page.getByTestId('list-new-chat').click();
    await alice.page.getByTestId('new-chat-group').click();
    await alice.page.getByTestId('group-name').waitFor();
    await shot(alice.page, 'conv-07-new-group-from-header');
    for (const u of [alice, bob]) expect(u.problems.filter((p) => /Content.Security.Policy|pageerror/i.test(p))).toEqual([]);
  });

  it('a new group is in every member\'s list at once, and its changes are told in the chat', async () => {
    // (Alice's creation form is open from the test before.)
    await alice.page.getByTestId('group-name').fill('Hike');
    await alice.page.getByTestId('group-member-bob').check();
    await alice.page.getByTestId('group-create').click();
    await alice.page.getByTestId('group-detail').waitFor();
    // Bob has not done anything: the group is in his list, telling him who added him.
    await bob.page.getByTestId('nav-chats').click();
    await expect.poll(() => item(bob, 'Hike').textContent(), { timeout: 20_000 }).toContain('Alice added you');
    await shot(bob.page, 'conv-08-new-group-in-list');
    await alice.page.getByTestId('group-rename').click();
    await alice.page.getByTestId('group-rename-input').fill('Hike 周末');
    await alice.page.getByTestId('group-rename-input').press('Enter');
    await item(bob, 'Hike 周末').click();
    await headerIs(bob.page, 'Hike 周末');
    const service = bob.page.getByTestId('message-service');
    await expect.poll(() => service.allTextContents(), { timeout: 20_000 }).toEqual([
      'Alice created the group “Hike”', 'Alice added you', 'Alice renamed the group to “Hike 周末”',
    ]);
    await shot(bob.page, 'conv-09-service-messages');
    // Bob leaves: Alice reads it in the chat.
    await bob.page.getByTestId('nav-groups').click();
    await bob.page.getByTestId('group').filter({ hasText: 'Hike 周末' }).click();
    await bob.page.getByTestId('group-leave').click();
    await bob.page.getByTestId('confirm-ok').click();
    await alice.page.getByTestId('group-open').click();
    await headerIs(alice.page, 'Hike 周末');
    await expect.poll(() => alice.page.getByTestId('message-service').last().textContent(), { timeout: 20_000 }).toBe('Bob left the group');
    await shot(alice.page, 'conv-10-member-left');
  });
});
