/**
 * One account on two devices (two web shells, each with its own core and cache, in two browser contexts): the
 * devices list in Settings, a chat read on one device is read on the other, a pin follows, the last-seen privacy
 * setting, and signing the other device out from Settings (it is told why and needs the password again).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  acceptFriendRequest, chatWith, launchBrowser, openConversation, openUser, PASSWORD, register, removeDir, send, sendFriendRequest, shot, shotOnFailure,
  startTestServer, waitForMessage, waitOnline, type TestServer, type User,
} from './harness';

let browser: Browser;
let server: TestServer;
let laptop: User;
let phone: User;
let bob: User;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
  laptop = await openUser(browser, 'laptop', [server.endpoint]);
  phone = await openUser(browser, 'phone', [server.endpoint]);
  bob = await openUser(browser, 'bob', [server.endpoint]);
});

afterAll(async () => {
  for (const u of [laptop, phone, bob]) await u?.close();
  await browser?.close();
  await server?.stop();
  for (const u of [laptop, phone, bob]) if (u) removeDir(u.dataDir);
  if (server) removeDir(server.dataDir);
});

afterEach(async (ctx) => shotOnFailure(ctx.task, [laptop, phone, bob]));

const item = (u: User, title: string) => u.page.getByTestId('conversation-item').filter({ hasText: title });
const unread = async (u: User, title: string) => ((await item(u, title).getByTestId('unread').count()) > 0 ? await item(u, title).getByTestId('unread').textContent() : '0');

describe('one account on two devices', () => {
  it('lists both devices in Settings, this one marked', async () => {
    await register(laptop.page, 'ann', 'Ann');
    await register(bob.page, 'bob', 'Bob');
    await sendFriendRequest(laptop.page, 'bob');
    await acceptFriendRequest(bob.page, 'Ann');
    // The second device signs in with the password.
    await phone.page.getByTestId('username').fill('ann');
    await phone.page.getByTestId('password').fill(PASSWORD);
    await phone.page.getByTestId('submit').click();
    await phone.page.getByTestId('nav-chats').waitFor();
    await waitOnline(phone.page);

    await laptop.page.getByTestId('nav-settings').click();
    const section = laptop.page.getByTestId('settings-devices');
    await expect.poll(() => section.getByTestId('device').count(), { timeout: 20_000 }).toBe(1);
    await expect(section.getByTestId('device-current').textContent()).resolves.toContain('e2e-laptop');
    await expect(section.getByTestId('device-current').textContent()).resolves.toContain('This device');
    await expect(section.getByTestId('device').textContent()).resolves.toContain('e2e-phone');
    await expect(section.getByTestId('device').textContent()).resolves.toContain('Online now');
    await section.scrollIntoViewIfNeeded();
    await shot(laptop.page, 'devices-01-settings-list');
  });

  it('a message sent on one device shows on the other; reading on the phone clears the laptop’s unread', async () => {
    await chatWith(laptop.page, 'Bob');
    await send(laptop.page, 'sent from the laptop');
    await openConversation(phone.page, 'Bob');
    await waitForMessage(phone.page, 'sent from the laptop');
    // Both devices away from the chat, Bob writes twice.
    await laptop.page.getByTestId('nav-settings').click();
    await phone.page.getByTestId('nav-settings').click();
    await chatWith(bob.page, 'Ann');
    await send(bob.page, 'are you there?');
    await send(bob.page, 'either device is fine');
    // Both count it on the rail's badge (the Chats pane would reopen the chat and read it).
    const badge = (u: User) => u.page.getByTestId('nav-chats').locator('.badge');
    await expect.poll(() => badge(laptop).textContent(), { timeout: 20_000 }).toBe('2');
    await expect.poll(() => badge(phone).textContent(), { timeout: 20_000 }).toBe('2');
    await shot(laptop.page, 'devices-02-laptop-unread-before');
    // The phone opens its chats (the chat with Bob, open last time, comes back and is read).
    await phone.page.getByTestId('nav-chats').click();
    await waitForMessage(phone.page, 'either device is fine');
    await expect.poll(() => badge(laptop).count(), { timeout: 20_000 }).toBe(0);
    await shot(laptop.page, 'devices-03-laptop-read-on-phone');
    await laptop.page.getByTestId('nav-chats').click();
    await expect.poll(() => unread(laptop, 'Bob')).toBe('0');
  });

  it('a pin on the laptop shows on the phone', async () => {
    await item(laptop, 'Bob').click({ button: 'right' });
    await laptop.page.getByTestId('context-menu').getByTestId('menu-pin').click();
    await expect.poll(() => item(phone, 'Bob').getAttribute('aria-label'), { timeout: 20_000 }).toContain('Pinned');
  });

  it('sets last seen to nobody: the friend sees "last seen recently"', async () => {
    await laptop.page.getByTestId('nav-settings').click();
    await laptop.page.getByTestId('last-seen-nobody').check();
    await expect.poll(() => laptop.page.getByTestId('last-seen-nobody').isChecked()).toBe(true);
    await laptop.page.getByTestId('settings-privacy').scrollIntoViewIfNeeded();
    await shot(laptop.page, 'devices-04-privacy-nobody');
    await bob.page.getByTestId('nav-contacts').click();
    await expect.poll(() => bob.page.getByTestId('friend').filter({ hasText: 'Ann' }).textContent(), { timeout: 20_000 }).toContain('Last seen recently');
    await shot(bob.page, 'devices-05-friend-sees-last-seen-recently');
    await laptop.page.getByTestId('last-seen-everyone').check();
  });

  it('signs the phone out from the laptop: it is told why at once and needs the password', async () => {
    const section = laptop.page.getByTestId('settings-devices');
    await section.getByTestId('device').getByTestId('device-sign-out').click();
    await laptop.page.getByTestId('confirm-ok').click();
    await phone.page.getByTestId('signed-out-notice').waitFor({ timeout: 20_000 });
    expect(await phone.page.getByTestId('signed-out-notice').textContent()).toContain('e2e-laptop');
    await shot(phone.page, 'devices-06-phone-signed-out');
    await expect.poll(() => section.getByTestId('device').count(), { timeout: 20_000 }).toBe(0);
    await expect.poll(() => section.getByTestId('sign-out-others').isDisabled()).toBe(true);
    await shot(laptop.page, 'devices-07-laptop-after-sign-out');
    // The phone's stored sign-in is gone: only the password brings it back.
    await phone.page.getByTestId('username').fill('ann');
    await phone.page.getByTestId('password').fill(PASSWORD);
    await phone.page.getByTestId('submit').click();
    await phone.page.getByTestId('nav-chats').waitFor();
    await waitOnline(phone.page);
    // "Sign out all other devices" ends it again.
    await laptop.page.getByTestId('nav-chats').click();
    await laptop.page.getByTestId('nav-settings').click();
    await expect.poll(() => section.getByTestId('device').count(), { timeout: 20_000 }).toBe(1);
    await section.getByTestId('sign-out-others').click();
    await laptop.page.getByTestId('confirm-ok').click();
    await phone.page.getByTestId('signed-out-notice').waitFor({ timeout: 20_000 });
    await expect.poll(() => section.getByTestId('devices-result').textContent()).toContain('Signed out 1 device');
  });
});
