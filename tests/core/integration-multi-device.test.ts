/**
 * One account on two cores (two devices) against a real server over loopback, each with its own SQLite cache: a
 * message sent on one appears on the other, reading on one clears unread on the other, pin / mute / mark unread
 * follow, the devices list, last-seen privacy, and signing the other device out (kicked at once, token gone).
 */
import { describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../shared/ipc';
import { befriend, coresAgainstServer, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';

const { make: core } = coresAgainstServer('multi-device');

describe('one account on two devices', () => {
  it('messages, reads, conversation settings, devices, privacy and sign-out stay consistent', async () => {
    const laptop = await core('laptop');
    const phone = await core('phone');
    const bob = await core('bob');
    await laptop.register({ username: 'mia', password: PASSWORD });
    await bob.register({ username: 'bob', password: PASSWORD });
    await waitOnline(laptop);
    await waitOnline(bob);
    await befriend(laptop, bob);
    await phone.login({ username: 'mia', password: PASSWORD });
    await waitOnline(phone);

    const bobId = (await bob.getSession({}))!.profile.userId;
    const miaId = (await laptop.getSession({}))!.profile.userId;
    const toBob = `u:${bobId}` as ConversationKey;
    const toMia = `u:${miaId}` as ConversationKey;

    // Sent from the laptop: on the phone too, as an outgoing message.
    await laptop.sendMessage({ key: toBob, text: 'sent from the laptop' });
    await waitFor(async () => (await phone.loadMessages({ key: toBob })).messages.some((m) => m.text === 'sent from the laptop' && m.outgoing), 'the phone has the laptop’s message');

    // Bob writes: both devices count it unread; reading on the phone clears the laptop.
    await bob.sendMessage({ key: toMia, text: 'one' });
    await bob.sendMessage({ key: toMia, text: 'two' });
    await waitFor(async () => (await laptop.getConversation({ key: toBob }))?.unread === 2, 'laptop: 2 unread');
    await waitFor(async () => (await phone.getConversation({ key: toBob }))?.unread === 2, 'phone: 2 unread');
    const laptopTotals = record(laptop, 'unreadTotal');
    await phone.markRead({ key: toBob });
    await waitFor(async () => (await laptop.getConversation({ key: toBob }))?.unread === 0, 'laptop: read on the phone');
    await waitFor(async () => laptopTotals.at(-1)?.total === 0, 'laptop badge 0');

    // Pin and mute on the laptop: the phone follows; mark unread on the phone, read on the laptop clears both.
    await laptop.setPinned({ key: toBob, pinned: true });
    await laptop.setMuted({ key: toBob, muted: true, durationMs: 3_600_000 });
    await waitFor(async () => {
      const c = await phone.getConversation({ key: toBob });
      return c?.pinned === true && c.muted && (c.mutedUntil ?? 0) > Date.now();
    }, 'the phone has the pin and the mute');
    await laptop.setMuted({ key: toBob, muted: false });
    await waitFor(async () => (await phone.getConversation({ key: toBob }))?.muted === false, 'unmuted on the phone');
    expect((await phone.getConversation({ key: toBob }))?.pinned).toBe(true);
    await phone.markUnread({ key: toBob });
    await waitFor(async () => (await laptop.getConversation({ key: toBob }))?.markedUnread === true, 'marked unread on the laptop');
    await waitFor(async () => laptopTotals.at(-1)?.total === 1, 'laptop badge counts the marked chat');
    await laptop.markRead({ key: toBob });
    await waitFor(async () => (await phone.getConversation({ key: toBob }))?.markedUnread === false, 'read on the laptop clears the mark on the phone');

    // The devices list, from either side.
    const fromLaptop = await laptop.listDevices({});
    expect(fromLaptop.map((d) => [d.name, d.current, d.online])).toEqual([
      ['laptop', true, true],
      ['phone', false, true],
    ]);
    expect(fromLaptop[0]!.platform).not.toBe('');

    // Last-seen privacy: nobody hides Mia from Bob (and Bob from Mia); the phone is told.
    const privacy = record(phone, 'privacyChanged');
    expect(await laptop.getPrivacy({})).toEqual({ lastSeen: 'everyone' });
    await laptop.setPrivacy({ lastSeen: 'nobody' });
    await waitFor(async () => privacy.at(-1)?.lastSeen === 'nobody', 'the phone hears of the setting');
    expect(await phone.getPrivacy({})).toEqual({ lastSeen: 'nobody' });
    await waitFor(async () => (await bob.listFriends({})).find((f) => f.userId === miaId)?.presenceHidden === true, 'bob sees mia hidden');
    await waitFor(async () => (await laptop.listFriends({})).find((f) => f.userId === bobId)?.presenceHidden === true, 'mia sees bob hidden');
    await laptop.setPrivacy({ lastSeen: 'everyone' });
    await waitFor(async () => (await bob.listFriends({})).find((f) => f.userId === miaId)?.online === true, 'bob sees mia online again');

    // Sign the phone out from the laptop: kicked at once with the laptop's name, and its token is gone.
    const kicked = record(phone, 'kicked');
    await laptop.signOutDevice({ deviceId: fromLaptop[1]!.deviceId });
    await waitFor(async () => kicked.length > 0, 'the phone is kicked');
    expect(kicked[0]).toEqual({ reason: 'token-revoked', deviceName: 'laptop' });
    await waitFor(async () => (await phone.getSession({})) === null, 'the phone has no session');
    expect((await phone.listAccounts({})).find((a) => a.username === 'mia')?.canAutoLogin).toBe(false);
    await expect(phone.login({ username: 'mia' })).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
    expect((await laptop.listDevices({})).map((d) => d.name)).toEqual(['laptop']);

    // With the password it is back, and "sign out all others" ends it again.
    await phone.login({ username: 'mia', password: PASSWORD });
    await waitOnline(phone);
    const kickedAgain = record(phone, 'kicked');
    expect(await laptop.signOutOtherDevices({})).toEqual({ signedOut: 1 });
    await waitFor(async () => kickedAgain.length > 0, 'kicked again');
    expect(await laptop.getConnectionStatus({})).toMatchObject({ state: 'online' });
  });
});
