// Devices (list, sign out one / all others), conversation settings synced across a user's devices, and
// last-seen privacy, over real loopback and a real data directory (SQLite and PostgreSQL).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Command, ConversationType, Kicked_Reason, LastSeenVisibility, ResultCode, SyncDomain } from '../../shared/protocol';
import { serverFixture } from './helpers/server';
import { befriend, direct, group, sendText } from './helpers/social';
import type { TestClient } from './helpers/client';

const { user, client, track } = serverFixture();

/** A second device of `of`'s account, logged in with the password. */
async function secondDevice(of: TestClient, username: string, platform = ''): Promise<TestClient> {
  const c = await client();
  const deviceId = randomUUID();
  const res = await c.call(Command.LOGIN, {
    username,
    credential: { case: 'password', value: 'correct horse battery' },
    device: { deviceId, deviceName: `${username} phone`, platform },
  });
  c.userId = Number(res.userId);
  c.deviceId = deviceId;
  c.login = res;
  expect(c.userId).toBe(of.userId);
  return c;
}

async function kickedReason(c: TestClient): Promise<{ reason: Kicked_Reason; deviceName: string }> {
  const p = await c.waitPush((x) => x.command === Command.KICKED);
  await c.closedPromise;
  return c.decodePush(Command.KICKED, p);
}

describe('devices', () => {
  it('lists the signed-in devices: this one first, online, name, platform and last active', async () => {
    const ana = await user('dev_ana');
    const phone = await secondDevice(ana, 'dev_ana', 'android');
    const list = await ana.call(Command.DEVICE_LIST, {});
    expect(list.devices.map((d) => d.deviceId)).toEqual([ana.deviceId, phone.deviceId]);
    const [mine, other] = list.devices;
    expect(mine!.current).toBe(true);
    expect(mine!.online).toBe(true);
    expect(mine!.deviceName).toBe('dev_ana-device');
    expect(other!.current).toBe(false);
    expect(other!.online).toBe(true);
    expect(other!.platform).toBe('android');
    expect(other!.deviceName).toBe('dev_ana phone');
    expect(Number(other!.lastActive)).toBeGreaterThan(0);
    expect(Number(other!.createdAt)).toBeGreaterThan(0);

    // A device that disconnects stays listed (its token is valid), offline, with its last active time.
    const before = Number(other!.lastActive);
    await phone.close();
    await expect.poll(async () => (await ana.call(Command.DEVICE_LIST, {})).devices[1]?.online, { timeout: 5000 }).toBe(false);
    const after = (await ana.call(Command.DEVICE_LIST, {})).devices[1]!;
    expect(Number(after.lastActive)).toBeGreaterThanOrEqual(before);

    // Another user sees only their own.
    const bo = await user('dev_bo');
    expect((await bo.call(Command.DEVICE_LIST, {})).devices.map((d) => d.deviceId)).toEqual([bo.deviceId]);
  });

  it('signs out one device: its session ends at once with the reason, its token no longer logs in, the list shrinks', async () => {
    const cal = await user('dev_cal');
    const phone = await secondDevice(cal, 'dev_cal');
    const res = await cal.call(Command.DEVICE_SIGN_OUT, { deviceId: phone.deviceId, allOthers: false });
    expect(res.signedOut).toBe(1);
    const kicked = await kickedReason(phone);
    expect(kicked.reason).toBe(Kicked_Reason.TOKEN_REVOKED);
    expect(kicked.deviceName).toBe('dev_cal-device');
    expect((await cal.call(Command.DEVICE_LIST, {})).devices.map((d) => d.deviceId)).toEqual([cal.deviceId]);

    // The revoked token is refused; the password still works (and lists the device again).
    const again = track(await client());
    const code = await again.fails(Command.LOGIN, {
      username: 'dev_cal',
      credential: { case: 'deviceToken', value: phone.login!.deviceToken },
      device: { deviceId: phone.deviceId, deviceName: 'dev_cal phone' },
    });
    expect(code).toBe(ResultCode.TOKEN_INVALID);
    await again.call(Command.LOGIN, { username: 'dev_cal', credential: { case: 'password', value: 'correct horse battery' }, device: { deviceId: phone.deviceId, deviceName: 'dev_cal phone' } });
    expect((await cal.call(Command.DEVICE_LIST, {})).devices).toHaveLength(2);
    // The caller itself is untouched.
    expect(cal.closed).toBe(false);
  });

  it('signs out all other devices, online or not, and keeps the current one', async () => {
    const dee = await user('dev_dee');
    const online = await secondDevice(dee, 'dev_dee');
    const offline = await secondDevice(dee, 'dev_dee');
    await offline.close();
    const res = await dee.call(Command.DEVICE_SIGN_OUT, { deviceId: '', allOthers: true });
    expect(res.signedOut).toBe(2);
    expect((await kickedReason(online)).reason).toBe(Kicked_Reason.TOKEN_REVOKED);
    expect((await dee.call(Command.DEVICE_LIST, {})).devices.map((d) => d.deviceId)).toEqual([dee.deviceId]);
    expect(dee.closed).toBe(false);
    await dee.call(Command.PING, { sentAt: 1n });
    // Nothing left to sign out.
    expect((await dee.call(Command.DEVICE_SIGN_OUT, { deviceId: '', allOthers: true })).signedOut).toBe(0);
  });

  it('refuses bad sign-out requests with the field named', async () => {
    const eve = await user('dev_eve');
    expect(await eve.fails(Command.DEVICE_SIGN_OUT, { deviceId: eve.deviceId, allOthers: false })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await eve.fails(Command.DEVICE_SIGN_OUT, { deviceId: '', allOthers: false })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await eve.fails(Command.DEVICE_SIGN_OUT, { deviceId: 'x', allOthers: true })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await eve.fails(Command.DEVICE_SIGN_OUT, { deviceId: randomUUID(), allOthers: false })).toBe(ResultCode.NOT_FOUND);
    // Someone else's device id is not found for this account (and that account keeps its session).
    const fox = await user('dev_fox');
    expect(await eve.fails(Command.DEVICE_SIGN_OUT, { deviceId: fox.deviceId, allOthers: false })).toBe(ResultCode.NOT_FOUND);
    expect(fox.closed).toBe(false);
    // Not before login.
    const anon = await client();
    expect(await anon.fails(Command.DEVICE_LIST, {})).toBe(ResultCode.NOT_AUTHENTICATED);
    // A platform too long, at login.
    const bad = await client();
    expect(await bad.fails(Command.LOGIN, { username: 'dev_eve', credential: { case: 'password', value: 'correct horse battery' }, device: { deviceId: randomUUID(), platform: 'x'.repeat(33) } })).toBe(
      ResultCode.INVALID_ARGUMENT,
    );
  });
});

describe('messages and reads across one account’s devices', () => {
  it('a message sent on one device reaches the other; reading on one tells the other', async () => {
    const gil = await user('dev_gil');
    const gilPhone = await secondDevice(gil, 'dev_gil');
    const hux = await user('dev_hux');
    await befriend(gil, hux);
    const ack = await sendText(gil, direct(hux), 'from the laptop');
    const onPhone = await gilPhone.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(onPhone.text).toBe('from the laptop');
    expect(Number(onPhone.conversation!.id)).toBe(hux.userId);
    // The sending device gets no push of its own message (it has the ack).
    expect(gil.events().some((e) => e.event.case === 'message' && e.event.value.msgId === ack.msgId)).toBe(false);

    const incoming = await sendText(hux, direct(gil), 'hello both');
    await gil.waitEvent('message', (m) => m.msgId === incoming.msgId);
    await gilPhone.call(Command.MARK_READ, { conversation: direct(hux), upToConvSeq: incoming.convSeq });
    const receipt = await gil.waitEvent('receipt', (r) => Number(r.userId) === gil.userId && r.upToConvSeq === incoming.convSeq);
    expect(Number(receipt.conversation!.id)).toBe(hux.userId);
  });
});

describe('conversation settings', () => {
  it('pin, mute and mark unread reach every device; partial updates keep the other fields; reading clears marked unread', async () => {
    const ivy = await user('dev_ivy');
    const ivyPhone = await secondDevice(ivy, 'dev_ivy');
    const jon = await user('dev_jon');
    await befriend(ivy, jon);
    const first = await sendText(jon, direct(ivy), 'hi');
    await ivyPhone.call(Command.MARK_READ, { conversation: direct(jon), upToConvSeq: first.convSeq });

    const pinned = await ivy.call(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(jon), pinned: true });
    expect(pinned.pinned).toBe(true);
    expect((await ivyPhone.waitEvent('conversationSettings', (s) => s.pinned)).conversation?.id).toBe(BigInt(jon.userId));

    const until = Date.now() + 3_600_000;
    const muted = await ivyPhone.call(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(jon), mutedUntil: BigInt(until) });
    expect(muted.pinned).toBe(true); // a mute from another device does not undo the pin
    expect(Number(muted.mutedUntil)).toBe(until);
    const seen = await ivy.waitEvent('conversationSettings', (s) => s.mutedUntil === BigInt(until));
    expect(seen.pinned).toBe(true);

    await ivy.call(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(jon), markedUnread: true });
    await ivyPhone.waitEvent('conversationSettings', (s) => s.markedUnread);
    await ivy.waitEvent('conversationSettings', (s) => s.markedUnread);
    const markedSeq = Math.max(...ivy.events().filter((e) => e.event.case === 'conversationSettings').map((e) => Number(e.seq)));
    // Reading on the phone clears it on the laptop, even with nothing new to read.
    await ivyPhone.call(Command.MARK_READ, { conversation: direct(jon), upToConvSeq: first.convSeq });
    const cleared = await ivy.waitEvent('conversationSettings', (s, e) => !s.markedUnread && Number(e.seq) > markedSeq && e.domain === SyncDomain.SETTINGS);
    expect(cleared.pinned).toBe(true);
    expect(Number(cleared.mutedUntil)).toBe(until);

    // A device that syncs the settings domain from the start gets the whole history, newest last.
    const pulled = await ivy.call(Command.SYNC, { cursor: 0n, limit: 1000, domains: [SyncDomain.SETTINGS] });
    const states = pulled.events.filter((e) => e.event.case === 'conversationSettings').map((e) => e.event.value as { markedUnread: boolean; pinned: boolean });
    expect(states.length).toBe(4);
    expect(states.at(-1)).toMatchObject({ pinned: true, markedUnread: false });

    // Setting the same state again writes nothing.
    const head = pulled.head;
    await ivy.call(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(jon), pinned: true });
    expect((await ivy.call(Command.SYNC, { cursor: head, limit: 10, domains: [] })).events).toHaveLength(0);

    // Groups too.
    const info = await ivy.call(Command.GROUP_CREATE, { name: 'settings', memberIds: [BigInt(jon.userId)] });
    const g = await ivy.call(Command.CONVERSATION_SETTINGS_SET, { conversation: group(info.groupId), pinned: true });
    expect(g.conversation?.type).toBe(ConversationType.GROUP);
    // The peer sees none of it.
    expect(jon.events().some((e) => e.event.case === 'conversationSettings')).toBe(false);
  });

  it('refuses bad settings requests', async () => {
    const kim = await user('dev_kim');
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(999_999) , pinned: true })).toBe(ResultCode.NOT_FOUND);
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(kim), pinned: true })).toBe(ResultCode.NOT_FOUND);
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { conversation: group(999_999), pinned: true })).toBe(ResultCode.NOT_FOUND);
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { conversation: { type: ConversationType.UNSPECIFIED, id: 1n }, pinned: true })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { pinned: true })).toBe(ResultCode.INVALID_ARGUMENT);
    const lee = await user('dev_lee');
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(lee) })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await kim.fails(Command.CONVERSATION_SETTINGS_SET, { conversation: direct(lee), mutedUntil: 2n ** 60n })).toBe(ResultCode.INVALID_ARGUMENT);
  });
});

describe('last-seen privacy', () => {
  async function presenceOf(viewer: TestClient, target: TestClient) {
    const list = await viewer.call(Command.PRESENCE_QUERY, { userIds: [BigInt(target.userId)] });
    return list.presences[0]!;
  }

  it('everyone / friends / nobody is enforced by the server, both ways, and told to the other devices', async () => {
    const max = await user('dev_max');
    const maxPhone = await secondDevice(max, 'dev_max');
    const ned = await user('dev_ned'); // a friend
    const ola = await user('dev_ola'); // a group co-member, not a friend
    await befriend(max, ned);
    await befriend(max, ola);
    await max.call(Command.GROUP_CREATE, { name: 'privacy', memberIds: [BigInt(ned.userId), BigInt(ola.userId)] });
    await max.call(Command.FRIEND_REMOVE, { userId: BigInt(ola.userId) });

    expect((await max.call(Command.PRIVACY_GET, {})).lastSeen).toBe(LastSeenVisibility.EVERYONE);
    expect(await presenceOf(ola, max)).toMatchObject({ online: true, hidden: false });

    // Friends only: the co-member no longer sees it, the friend does; the phone is told.
    expect((await max.call(Command.PRIVACY_SET, { lastSeen: LastSeenVisibility.FRIENDS })).lastSeen).toBe(LastSeenVisibility.FRIENDS);
    expect((await maxPhone.waitEvent('privacy')).lastSeen).toBe(LastSeenVisibility.FRIENDS);
    expect(await presenceOf(ola, max)).toMatchObject({ online: false, hidden: true, lastSeen: 0n });
    expect(await presenceOf(ned, max)).toMatchObject({ online: true, hidden: false });
    // ...and, the other way, max sees nothing of the co-member either (who hides theirs sees nobody's).
    expect(await presenceOf(max, ola)).toMatchObject({ hidden: true });
    expect(await presenceOf(max, ned)).toMatchObject({ online: true, hidden: false });

    // Nobody: the friend is pushed a hidden presence at once, and queries say hidden.
    await maxPhone.call(Command.PRIVACY_SET, { lastSeen: LastSeenVisibility.NOBODY });
    const pushed = await ned.waitPush((p) => p.command === Command.PRESENCE_PUSH && ned.decodePush(Command.PRESENCE_PUSH, p).userId === BigInt(max.userId) && ned.decodePush(Command.PRESENCE_PUSH, p).hidden);
    expect(ned.decodePush(Command.PRESENCE_PUSH, pushed).online).toBe(false);
    expect(await presenceOf(ned, max)).toMatchObject({ hidden: true, lastSeen: 0n });
    expect(await presenceOf(max, ned)).toMatchObject({ hidden: true });
    expect((await max.call(Command.PRIVACY_GET, {})).lastSeen).toBe(LastSeenVisibility.NOBODY);
    // Going offline is not told to the friend either.
    const offlinePushes = () => ned.pushes.filter((p) => p.command === Command.PRESENCE_PUSH && !ned.decodePush(Command.PRESENCE_PUSH, p).hidden && ned.decodePush(Command.PRESENCE_PUSH, p).userId === BigInt(max.userId)).length;
    const count = offlinePushes();
    await maxPhone.close();
    await max.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(offlinePushes()).toBe(count);
    // One's own presence is always visible.
    expect(await presenceOf(ned, ned)).toMatchObject({ online: true, hidden: false });
  });

  it('back to everyone tells the friends the real presence', async () => {
    const pam = await user('dev_pam');
    const quin = await user('dev_quin');
    await befriend(pam, quin);
    await pam.call(Command.PRIVACY_SET, { lastSeen: LastSeenVisibility.NOBODY });
    await pam.call(Command.PRIVACY_SET, { lastSeen: LastSeenVisibility.UNSPECIFIED }); // = everyone
    const p = await quin.waitPush((x) => x.command === Command.PRESENCE_PUSH && quin.decodePush(Command.PRESENCE_PUSH, x).online);
    expect(quin.decodePush(Command.PRESENCE_PUSH, p).userId).toBe(BigInt(pam.userId));
    expect((await pam.call(Command.PRIVACY_GET, {})).lastSeen).toBe(LastSeenVisibility.EVERYONE);
    expect(await pam.fails(Command.PRIVACY_SET, { lastSeen: 42 as LastSeenVisibility })).toBe(ResultCode.INVALID_ARGUMENT);
  });
});
