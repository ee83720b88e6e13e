// Accounts, friends, 1:1 chat with receipts and recall, multi-device, offline sync: over real loopback and a real data directory.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Command, FriendRequestState, FriendState, Kicked_Reason, ReceiptType, ResultCode, SyncDomain, type SendMessageAck } from '../../shared/protocol';
import { serverFixture } from './helpers/server';
import { befriend, direct, sendText } from './helpers/social';

const { user, client } = serverFixture();

describe('accounts', () => {
  it('registers, rejects a taken username and bad fields, logs in with password and device token', async () => {
    const alice = await user('alice');
    expect(alice.userId).toBeGreaterThan(0);
    expect(alice.login!.deviceToken.length).toBeGreaterThan(20);
    expect(alice.login!.profile!.username).toBe('alice');

    const c = await client();
    expect(await c.fails(Command.REGISTER, { username: 'alice', password: 'password1', device: { deviceId: 'd' } })).toBe(ResultCode.USERNAME_TAKEN);
    expect(await c.fails(Command.REGISTER, { username: 'A!', password: 'password1', device: { deviceId: 'd' } })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await c.fails(Command.REGISTER, { username: 'bobby', password: 'short', device: { deviceId: 'd' } })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await c.fails(Command.LOGIN, { username: 'alice', credential: { case: 'password', value: 'wrong password' }, device: { deviceId: 'x' } })).toBe(ResultCode.BAD_CREDENTIALS);
    expect(await c.fails(Command.LOGIN, { username: 'nobody', credential: { case: 'password', value: 'wrong password' }, device: { deviceId: 'x' } })).toBe(ResultCode.BAD_CREDENTIALS);

    // Device token login on a new connection, same device id.
    const deviceId = randomUUID();
    const first = await client();
    const res = await first.loginPassword('alice', undefined, deviceId);
    await first.close();
    const second = await client();
    const byToken = await second.call(Command.LOGIN, { username: 'alice', credential: { case: 'deviceToken', value: res.deviceToken }, device: { deviceId } });
    expect(Number(byToken.userId)).toBe(alice.userId);
    expect(await second.fails(Command.LOGIN, { username: 'alice', credential: { case: 'password', value: 'x' }, device: { deviceId } })).toBe(ResultCode.ALREADY_AUTHENTICATED);
    const third = await client();
    expect(await third.fails(Command.LOGIN, { username: 'alice', credential: { case: 'deviceToken', value: 'forged' }, device: { deviceId } })).toBe(ResultCode.TOKEN_INVALID);
    // Logout with revoke: the token stops working.
    await second.call(Command.LOGOUT, { revokeDeviceToken: true });
    expect(await second.fails(Command.SYNC, {})).toBe(ResultCode.NOT_AUTHENTICATED);
    expect(await third.fails(Command.LOGIN, { username: 'alice', credential: { case: 'deviceToken', value: res.deviceToken }, device: { deviceId } })).toBe(ResultCode.TOKEN_INVALID);
  });

  it('kicks the older session of the same device, and all others on request', async () => {
    const kate = await user('kate');
    const deviceId = randomUUID();
    const a = await client();
    await a.loginPassword('kate', undefined, deviceId);
    const b = await client();
    await b.loginPassword('kate', undefined, deviceId);
    const kicked = await a.waitPush((p) => p.command === Command.KICKED);
    expect(a.decodePush(Command.KICKED, kicked).reason).toBe(Kicked_Reason.OTHER_LOGIN);
    await a.closedPromise;
    expect(kate.closed).toBe(false); // a different device stays
    const c = await client();
    await c.loginPassword('kate', undefined, randomUUID(), true);
    await kate.closedPromise;
    await b.closedPromise;
    expect(c.closed).toBe(false);
  });
});

describe('friends and 1:1 chat', () => {
  it('friend request, accept, message, delivered and read receipts, recall', async () => {
    const ann = await user('ann');
    const ben = await user('ben');
    // Not friends yet: sending is refused.
    expect(await ann.fails(Command.MESSAGE_SEND, { to: direct(ben), clientMsgId: 'x1', text: 'hi' })).toBe(ResultCode.NOT_FRIENDS);
    // Search by exact username.
    const found = await ann.call(Command.USER_SEARCH, { username: 'ben' });
    expect(found.profiles.map((p) => p.username)).toEqual(['ben']);
    const request = await ann.call(Command.FRIEND_REQUEST, { target: { case: 'username', value: 'ben' }, message: 'hello' });
    expect(request.state).toBe(FriendRequestState.PENDING);
    expect(await ann.fails(Command.FRIEND_REQUEST, { target: { case: 'username', value: 'ben' } })).toBe(ResultCode.REQUEST_PENDING);
    await ben.waitEvent('friendRequest', (r) => r.requestId === request.requestId);
    // Only the addressee may accept.
    expect(await ann.fails(Command.FRIEND_ACCEPT, { requestId: request.requestId })).toBe(ResultCode.NOT_FOUND);
    await ben.call(Command.FRIEND_ACCEPT, { requestId: request.requestId });
    const friend = await ann.waitEvent('friend', (f) => Number(f.userId) === ben.userId);
    expect(friend.state).toBe(FriendState.FRIEND);
    expect(friend.profile!.username).toBe('ben');
    expect(await ann.fails(Command.FRIEND_REQUEST, { target: { case: 'username', value: 'ben' } })).toBe(ResultCode.ALREADY_FRIENDS);

    const ack = await sendText(ann, direct(ben), 'hello ben 你好');
    expect(ack.convSeq).toBe(1n);
    expect(ack.duplicate).toBe(false);
    const msg = await ben.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(msg.text).toBe('hello ben 你好');
    expect(Number(msg.conversation!.id)).toBe(ann.userId); // from ben's side the conversation is ann
    expect(Number(msg.senderId)).toBe(ann.userId);
    // ben's client acked the push: ann gets a delivered receipt.
    const delivered = await ann.waitEvent('receipt', (r) => r.type === ReceiptType.DELIVERED);
    expect(delivered.upToConvSeq).toBe(1n);
    expect(Number(delivered.userId)).toBe(ben.userId);
    await ben.call(Command.MARK_READ, { conversation: direct(ann), upToConvSeq: 1n });
    const read = await ann.waitEvent('receipt', (r) => r.type === ReceiptType.READ);
    expect(Number(read.conversation!.id)).toBe(ben.userId);

    // Reply, then recall it.
    const reply = await sendText(ben, direct(ann), 'reply', { replyToMsgId: ack.msgId });
    expect((await ann.waitEvent('message', (m) => m.msgId === reply.msgId)).replyToMsgId).toBe(ack.msgId);
    expect(await ann.fails(Command.MESSAGE_RECALL, { msgId: reply.msgId })).toBe(ResultCode.PERMISSION_DENIED);
    await ben.call(Command.MESSAGE_RECALL, { msgId: reply.msgId });
    const recalled = await ann.waitEvent('recalled', (r) => r.msgId === reply.msgId);
    expect(Number(recalled.recalledBy)).toBe(ben.userId);
    // A sync now shows the message recalled with its text gone.
    const page = await ann.call(Command.SYNC, { cursor: 0n, domains: [SyncDomain.MESSAGES] });
    const stored = page.events.find((e) => e.event.case === 'message' && e.event.value.msgId === reply.msgId);
    expect(stored?.event.case === 'message' && stored.event.value.recalled).toBe(true);
    expect(stored?.event.case === 'message' && stored.event.value.text).toBe('');
  });

  it('de-duplicates a resend and returns the original ack', async () => {
    const cat = await user('cat');
    const dan = await user('dan');
    await befriend(cat, dan);
    const clientMsgId = randomUUID();
    const first = await sendText(cat, direct(dan), 'once', { clientMsgId });
    const again = await sendText(cat, direct(dan), 'once', { clientMsgId });
    expect(again.duplicate).toBe(true);
    expect(again.msgId).toBe(first.msgId);
    expect(again.convSeq).toBe(first.convSeq);
    expect(again.userSeq).toBe(first.userSeq);
    const page = await dan.call(Command.SYNC, { cursor: 0n, domains: [SyncDomain.MESSAGES] });
    expect(page.events.filter((e) => e.event.case === 'message').length).toBe(1);
  });

  it('multi-device: the sender’s other device gets the push, the sending device does not', async () => {
    const eve = await user('eve');
    const fay = await user('fay');
    await befriend(eve, fay);
    const eve2 = await client();
    await eve2.loginPassword('eve');
    const fay2 = await client();
    await fay2.loginPassword('fay');
    const ack = await sendText(eve, direct(fay), 'to both devices');
    await fay.waitEvent('message', (m) => m.msgId === ack.msgId);
    await fay2.waitEvent('message', (m) => m.msgId === ack.msgId);
    const mine = await eve2.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(Number(mine.conversation!.id)).toBe(fay.userId);
    // Let any stray push arrive before checking the sender's device.
    await sendText(fay, direct(eve), 'ping back');
    await eve.waitEvent('message', (m) => m.text === 'ping back');
    expect(eve.events().some((e) => e.event.case === 'message' && e.event.value.msgId === ack.msgId)).toBe(false);
    // Read on one device: the other device learns it (own read receipt).
    await fay.call(Command.MARK_READ, { conversation: direct(eve), upToConvSeq: ack.convSeq });
    const own = await fay2.waitEvent('receipt', (r) => r.type === ReceiptType.READ && Number(r.userId) === fay.userId);
    expect(own.upToConvSeq).toBe(ack.convSeq);
  });

  it('offline then online: everything since the cursor, in pages, and sync_head at login', async () => {
    const gus = await user('gus');
    const hal = await user('hal');
    await befriend(gus, hal);
    const cursor = Number((await hal.call(Command.SYNC, { cursor: 0n, limit: 1000 })).head);
    await hal.close();
    const acks: SendMessageAck[] = [];
    for (let i = 0; i < 25; i++) acks.push(await sendText(gus, direct(hal), `offline ${i}`));
    const back = await client();
    const login = await back.loginPassword('hal');
    expect(Number(login.syncHead)).toBeGreaterThanOrEqual(cursor + 25);
    const got: string[] = [];
    let next = BigInt(cursor);
    let pages = 0;
    for (;;) {
      const page = await back.call(Command.SYNC, { cursor: next, limit: 10 });
      pages++;
      for (const e of page.events) if (e.event.case === 'message') got.push(e.event.value.text);
      next = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(pages).toBe(3);
    expect(got).toEqual(acks.map((_, i) => `offline ${i}`));
    expect(next).toBe(login.syncHead);
    // A client at the head needs nothing more.
    const empty = await back.call(Command.SYNC, { cursor: next });
    expect(empty.events.length).toBe(0);
    expect(empty.hasMore).toBe(false);
    // Pulling counted as delivery.
    await gus.waitEvent('receipt', (r) => r.type === ReceiptType.DELIVERED && r.upToConvSeq === acks[24]!.convSeq);
  });

  it('per-domain sync keeps separate cursors over one sequence', async () => {
    const ivy = await user('ivy');
    const jon = await user('jon');
    await befriend(ivy, jon);
    await sendText(ivy, direct(jon), 'm');
    const friends = await jon.call(Command.SYNC, { cursor: 0n, domains: [SyncDomain.FRIENDS] });
    expect(friends.events.every((e) => e.domain === SyncDomain.FRIENDS)).toBe(true);
    expect(friends.events.length).toBeGreaterThan(0);
    expect(friends.nextCursor).toBe(friends.head); // nothing more of that domain: jump to head
    const messages = await jon.call(Command.SYNC, { cursor: 0n, domains: [SyncDomain.MESSAGES] });
    expect(messages.events.map((e) => e.event.case)).toEqual(['message']);
    expect(await jon.fails(Command.SYNC, { cursor: 0n, domains: [99 as SyncDomain] })).toBe(ResultCode.INVALID_ARGUMENT);
    expect(await jon.fails(Command.SYNC, { cursor: 1_000_000n })).toBe(ResultCode.INVALID_ARGUMENT);
  });

  it('block stops messages and requests both ways; profiles are visible to friends only', async () => {
    const kim = await user('kim');
    const lee = await user('lee');
    const stranger = await user('stranger');
    await befriend(kim, lee);
    await kim.call(Command.PROFILE_UPDATE, { signature: 'hi there' });
    const seen = await lee.call(Command.PROFILE_GET, { userIds: [BigInt(kim.userId)] });
    expect(seen.profiles[0]!.signature).toBe('hi there');
    await lee.waitEvent('profile', (p) => p.signature === 'hi there');
    const hidden = await stranger.call(Command.PROFILE_GET, { userIds: [BigInt(kim.userId)] });
    expect(hidden.profiles).toEqual([]);
    const searched = await stranger.call(Command.USER_SEARCH, { username: 'kim' });
    expect(searched.profiles[0]!.signature).toBe(''); // public part only

    await kim.call(Command.FRIEND_BLOCK, { userId: BigInt(lee.userId) });
    const leeView = await lee.waitEvent('friend', (f) => Number(f.userId) === kim.userId && f.state === FriendState.REMOVED);
    expect(leeView.state).toBe(FriendState.REMOVED);
    expect(await lee.fails(Command.MESSAGE_SEND, { to: direct(kim), clientMsgId: 'b1', text: 'hey' })).toBe(ResultCode.BLOCKED);
    expect(await lee.fails(Command.FRIEND_REQUEST, { target: { case: 'userId', value: BigInt(kim.userId) } })).toBe(ResultCode.BLOCKED);
    await kim.call(Command.FRIEND_UNBLOCK, { userId: BigInt(lee.userId) });
    expect(await lee.fails(Command.MESSAGE_SEND, { to: direct(kim), clientMsgId: 'b2', text: 'hey' })).toBe(ResultCode.NOT_FRIENDS);
  });

  it('typing and presence reach friends only', async () => {
    const mo = await user('moe');
    const ned = await user('ned');
    await befriend(mo, ned);
    await mo.call(Command.TYPING, { conversation: direct(ned), typing: true });
    const typing = await ned.waitPush((p) => p.command === Command.TYPING_PUSH);
    const notice = ned.decodePush(Command.TYPING_PUSH, typing);
    expect(Number(notice.userId)).toBe(mo.userId);
    expect(Number(notice.conversation!.id)).toBe(mo.userId);
    const outsider = await user('outsider');
    expect(await outsider.fails(Command.TYPING, { conversation: direct(ned), typing: true })).toBe(ResultCode.NOT_FRIENDS);

    const list = await mo.call(Command.PRESENCE_QUERY, { userIds: [BigInt(ned.userId), BigInt(outsider.userId)] });
    expect(list.presences.map((p) => [Number(p.userId), p.online])).toEqual([[ned.userId, true]]);
    await ned.close();
    const offline = await mo.waitPush((p) => p.command === Command.PRESENCE_PUSH && !mo.decodePush(Command.PRESENCE_PUSH, p).online);
    expect(Number(mo.decodePush(Command.PRESENCE_PUSH, offline).userId)).toBe(ned.userId);
  });
});
