/** Two clients against a real server over loopback, with real cache files. */
import { describe, expect, it } from 'vitest';
import { befriend, coresAgainstServer, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';

const { make, cores } = coresAgainstServer('converse');

describe('two clients converse', () => {
  it('register, befriend, exchange messages with acks, receipts and search', async () => {
    const alice = await make('alice');
    const bob = await make('bob');
    const aliceSession = await alice.register({ username: 'alice', password: PASSWORD, nickname: 'Alice' });
    const bobSession = await bob.register({ username: 'bob', password: PASSWORD });
    expect(aliceSession.profile.nickname).toBe('Alice');
    await waitOnline(alice, 'alice online');
    await befriend(alice, bob);

    const bobChanges = record(bob, 'messagesChanged');
    const key = `u:${bobSession.profile.userId}` as const;
    const aliceChanges = record(alice, 'messagesChanged');
    const sent = await alice.sendMessage({ key, text: '你好，鲍勃！今天天气很好' });
    // The sender's UI learns of the message once, from the event, before the call answers with its id.
    expect(aliceChanges.flatMap((c) => c.messages).filter((m) => m.id === sent.id)).toEqual([expect.objectContaining({ status: 'pending', text: '你好，鲍勃！今天天气很好' })]);
    await waitFor(async () => (await alice.loadMessages({ key })).messages.find((m) => m.id === sent.id && m.status !== 'pending'), 'ack');

    const backKey = `u:${aliceSession.profile.userId}` as const;
    const got = await waitFor(async () => (await bob.loadMessages({ key: backKey })).messages[0], 'bob receives');
    expect(got).toMatchObject({ text: '你好，鲍勃！今天天气很好', outgoing: false, senderId: aliceSession.profile.userId });
    expect(bobChanges.flatMap((c) => c.messages).some((m) => m.id === got.id)).toBe(true);
    const conv = await bob.getConversation({ key: backKey });
    expect(conv?.unread).toBe(1);

    // Receipts flow back: delivered, then read once bob reads it.
    await bob.markRead({ key: backKey });
    expect((await bob.getConversation({ key: backKey }))?.unread).toBe(0);
    await waitFor(async () => (await alice.loadMessages({ key })).messages.find((m) => m.id === sent.id)?.status === 'read', 'read receipt');

    const reply = await bob.sendMessage({ key: backKey, text: 'Hi Alice, see https://example.com/tern-docs' });
    await waitFor(async () => (await alice.loadMessages({ key })).messages.some((m) => m.serverId !== undefined && m.text.includes('example.com')), 'alice receives reply');
    void reply;

    // Chinese search end to end (both phrase and a two-character word).
    const hits = await bob.searchMessages({ query: '天气' });
    expect(hits.map((h) => h.conversationKey)).toEqual([backKey]);
    expect(hits[0]!.snippet.some((p) => p.hit && p.text.includes('天气'))).toBe(true);
    expect((await alice.searchMessages({ query: 'tern' })).length).toBe(1);

    const list = await alice.listConversations({});
    expect(list.items[0]).toMatchObject({ key, type: 'direct' });
  });

  it('friends, profiles, groups and recall through the real server', async () => {
    const ann = await make('ann');
    const ben = await make('ben');
    const cat = await make('cat');
    const sa = await ann.register({ username: 'ann', password: PASSWORD });
    const sb = await ben.register({ username: 'ben', password: PASSWORD });
    const sc = await cat.register({ username: 'cat', password: PASSWORD });
    await befriend(ann, ben);
    await befriend(ann, cat);

    expect(await ann.findUser({ username: 'ben' })).toMatchObject({ userId: sb.profile.userId, username: 'ben' });
    expect(await ann.findUser({ username: 'nobody-here' })).toBeNull();
    const updated = await ben.updateProfile({ nickname: 'Benjamin', signature: '你好' });
    expect(updated).toMatchObject({ nickname: 'Benjamin', signature: '你好' });
    await waitFor(async () => (await ann.getProfiles({ userIds: [sb.profile.userId] }))[0]?.nickname === 'Benjamin', 'profile update reaches ann');

    // Groups: create, members, message, rename, roles, remove, leave, dissolve.
    const groupsAtBen = record(ben, 'groupsChanged');
    const group = await ann.createGroup({ name: '周末爬山', memberIds: [sb.profile.userId, sc.profile.userId] });
    expect(group).toMatchObject({ name: '周末爬山', ownerId: sa.profile.userId, myRole: 'owner', memberCount: 3 });
    await waitFor(() => groupsAtBen.some((e) => e.groups.some((g) => g.id === group.id)), 'ben sees the group');
    const members = await waitFor(async () => {
      const m = await ben.listGroupMembers({ groupId: group.id });
      return m.length === 3 ? m : undefined;
    }, 'members at ben');
    expect(members.find((m) => m.userId === sa.profile.userId)?.role).toBe('owner');
    // Ben sees himself online in the member list (the server never pushes our own presence to us).
    expect(members.find((m) => m.userId === sb.profile.userId)?.online).toBe(true);
    // Cat is not Ben's friend, but a co-member: the member list still knows she is online.
    expect(members.find((m) => m.userId === sc.profile.userId)?.online).toBe(true);

    const gkey = `g:${group.id}` as const;
    await ann.sendMessage({ key: gkey, text: '@all 周六早上八点集合', mentions: [0] });
    const atCat = await waitFor(async () => (await cat.loadMessages({ key: gkey })).messages.find((m) => !m.groupAction), 'cat gets the group message');
    expect(atCat.text).toBe('@all 周六早上八点集合');
    // Before it, the group's service messages: created, then who was added.
    const service = (await cat.loadMessages({ key: gkey })).messages.filter((m) => m.groupAction).map((m) => m.groupAction);
    expect(service).toEqual([
      { kind: 'created', userIds: [], name: '周末爬山' },
      { kind: 'membersAdded', userIds: [sb.profile.userId, sc.profile.userId], name: '' },
    ]);
    expect((await cat.getConversation({ key: gkey }))?.mentioned).toBe(true);

    expect(await ann.renameGroup({ groupId: group.id, name: '周日爬山' })).toMatchObject({ name: '周日爬山' });
    await waitFor(async () => (await ben.getGroup({ groupId: group.id }))?.name === '周日爬山', 'rename reaches ben');
    await ann.setGroupRole({ groupId: group.id, userId: sb.profile.userId, role: 'admin' });
    await waitFor(async () => (await ben.getGroup({ groupId: group.id }))?.myRole === 'admin', 'ben is admin');
    await ben.removeFromGroup({ groupId: group.id, userIds: [sc.profile.userId] });
    await waitFor(async () => (await cat.getGroup({ groupId: group.id }))?.myRole === undefined, 'cat removed');
    await expect(cat.sendMessage({ key: gkey, text: 'still here?' }).then((m) =>
      waitFor(async () => (await cat.loadMessages({ key: gkey })).messages.find((x) => x.id === m.id && x.status === 'failed'), 'send fails'),
    )).resolves.toMatchObject({ error: { code: 'NOT_MEMBER' } });
    await ben.leaveGroup({ groupId: group.id });
    await waitFor(async () => (await ben.getGroup({ groupId: group.id }))?.myRole === undefined, 'ben left');
    await ann.dissolveGroup({ groupId: group.id });
    await waitFor(async () => (await ann.getGroup({ groupId: group.id }))?.dissolved === true, 'dissolved');

    // Recall: gone for both sides, and from search.
    const dkey = `u:${sb.profile.userId}` as const;
    const sent = await ann.sendMessage({ key: dkey, text: 'oops, wrong chat: 秘密计划' });
    await waitFor(async () => (await ann.loadMessages({ key: dkey })).messages.find((m) => m.id === sent.id && m.serverId !== undefined), 'acked');
    const back = `u:${sa.profile.userId}` as const;
    await waitFor(async () => (await ben.searchMessages({ query: '秘密计划' })).length === 1, 'ben can find it');
    await ann.recallMessage({ messageId: sent.id });
    expect((await ann.loadMessages({ key: dkey })).messages.find((m) => m.id === sent.id)).toMatchObject({ recalled: true, text: '' });
    await waitFor(async () => (await ben.loadMessages({ key: back })).messages.find((m) => m.text === '' && m.recalled), 'recall reaches ben');
    expect(await ben.searchMessages({ query: '秘密计划' })).toEqual([]);

    // Friends: block, unblock, remove.
    await ann.blockUser({ userId: sc.profile.userId });
    expect((await ann.listFriends({})).find((f) => f.userId === sc.profile.userId)?.state).toBe('blocked');
    await ann.unblockUser({ userId: sc.profile.userId });
    await ann.removeFriend({ userId: sb.profile.userId });
    await waitFor(async () => !(await ben.listFriends({})).some((f) => f.userId === sa.profile.userId && f.state === 'friend'), 'ben sees the removal');
    const failed = await ann.sendMessage({ key: dkey, text: 'are we still friends?' });
    const settled = await waitFor(async () => (await ann.loadMessages({ key: dkey })).messages.find((m) => m.id === failed.id && m.status === 'failed'), 'rejected');
    expect(settled.error?.code).toBe('NOT_FRIENDS');
    await ann.deleteMessage({ messageId: failed.id });
    expect((await ann.loadMessages({ key: dkey })).messages.some((m) => m.id === failed.id)).toBe(false);
  });

  it('typing notices and presence', async () => {
    const dan = await make('dan');
    const eve = await make('eve');
    const sd = await dan.register({ username: 'dan', password: PASSWORD });
    const se = await eve.register({ username: 'eve', password: PASSWORD });
    await befriend(dan, eve);
    await waitOnline(eve, 'eve online');
    // Friends made while both are online see each other online without a reconnect.
    await waitFor(async () => (await dan.listFriends({})).find((f) => f.userId === se.profile.userId)?.online === true, 'dan sees eve online');
    await waitFor(async () => (await eve.listFriends({})).find((f) => f.userId === sd.profile.userId)?.online === true, 'eve sees dan online');
    const typing = record(eve, 'typing');
    const key = `u:${se.profile.userId}` as const;
    await dan.sendTyping({ key, typing: true });
    await dan.sendTyping({ key, typing: true }); // throttled: one notice
    await waitFor(() => typing.length > 0, 'eve sees dan typing');
    await dan.sendTyping({ key, typing: false });
    await waitFor(() => typing.length > 1, 'eve sees dan stop');
    expect(typing).toEqual([
      { key: `u:${sd.profile.userId}`, userId: sd.profile.userId, typing: true },
      { key: `u:${sd.profile.userId}`, userId: sd.profile.userId, typing: false },
    ]);

    const presence = record(dan, 'presence');
    const eveIndex = cores.indexOf(eve);
    cores.splice(eveIndex, 1);
    await eve.dispose();
    await waitFor(() => presence.some((p) => p.userId === se.profile.userId && !p.online), 'dan sees eve go offline');
    expect((await dan.listFriends({})).find((f) => f.userId === se.profile.userId)?.online).toBe(false);
  });
});
