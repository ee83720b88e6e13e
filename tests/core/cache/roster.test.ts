import { describe, expect, it } from 'vitest';
import { cacheOpener, FriendRequestState, FriendState, GroupRole, ME, SyncDomain, wireProfile } from './fixtures';

const open = cacheOpener();

describe('profiles', () => {
  it('newer wins, older and equal re-applies change nothing, missing ids are reported', () => {
    const cache = open();
    expect(cache.profiles.upsert(wireProfile(2, 'Bob', 5))).toBe(true);
    expect(cache.profiles.upsert(wireProfile(2, 'Bob', 5))).toBe(false);
    expect(cache.profiles.upsert(wireProfile(2, 'Old Bob', 4))).toBe(false);
    expect(cache.profiles.upsert(wireProfile(2, 'Robert', 6))).toBe(true);
    expect(cache.profiles.get(2)?.nickname).toBe('Robert');
    expect(cache.profiles.upsertMany([wireProfile(3, 'C'), wireProfile(2, 'Robert', 6)]).map((p) => p.userId)).toEqual([3]);
    expect(cache.profiles.getMany([2, 3, 4]).map((p) => p.userId).sort()).toEqual([2, 3]);
    expect(cache.profiles.missing([2, 4, 5, 4])).toEqual([4, 5]);
  });
});

describe('contacts', () => {
  it('friends with their profile and presence; an older event after a newer one is ignored', () => {
    const cache = open();
    const f = { userId: 2, state: FriendState.FRIEND, since: 10, profile: wireProfile(2, 'Bob') };
    expect(cache.contacts.applyFriend(f, 5).change).toBe('inserted');
    expect(cache.contacts.applyFriend(f, 5).change).toBe('unchanged');
    expect(cache.contacts.applyFriend({ ...f, state: FriendState.BLOCKED }, 7).change).toBe('updated');
    expect(cache.contacts.applyFriend({ ...f, state: FriendState.FRIEND }, 6).change).toBe('unchanged');
    expect(cache.contacts.getFriend(2)?.state).toBe('blocked');
    cache.contacts.applyFriend({ userId: 3, state: FriendState.REMOVED, since: 1, profile: wireProfile(3, 'Gone') }, 8);
    cache.contacts.applyFriend({ userId: 4, state: FriendState.FRIEND, since: 1, profile: wireProfile(4, 'Alice') }, 9);
    expect(cache.contacts.setPresence(4, true, 100)).toBe(true);
    expect(cache.contacts.setPresence(4, true, 100)).toBe(false);
    expect(cache.contacts.listFriends().map((c) => [c.nickname, c.state, c.online])).toEqual([
      ['Alice', 'friend', true],
      ['Bob', 'blocked', false],
    ]);
  });

  it('friend requests in both directions', () => {
    const cache = open();
    const incoming = { requestId: 1, fromUserId: 5, toUserId: ME, message: 'hi', state: FriendRequestState.PENDING, createdAt: 10, fromProfile: wireProfile(5, 'Eve') };
    const outgoing = { requestId: 2, fromUserId: ME, toUserId: 6, message: 'add me', state: FriendRequestState.PENDING, createdAt: 20, toProfile: wireProfile(6, 'Frank') };
    expect(cache.contacts.applyFriendRequest(incoming, 1).request).toMatchObject({ direction: 'incoming', user: { nickname: 'Eve' }, state: 'pending' });
    cache.contacts.applyFriendRequest(outgoing, 2);
    expect(cache.contacts.applyFriendRequest({ ...incoming, state: FriendRequestState.ACCEPTED }, 3).change).toBe('updated');
    expect(cache.contacts.applyFriendRequest(incoming, 1).change).toBe('unchanged');
    expect(cache.contacts.listFriendRequests().map((r) => [r.id, r.direction, r.user.nickname, r.state])).toEqual([
      [2, 'outgoing', 'Frank', 'pending'],
      [1, 'incoming', 'Eve', 'accepted'],
    ]);
  });
});

describe('groups and members', () => {
  const group = { groupId: 7, name: 'Team', ownerId: 2, memberCount: 3, myRole: GroupRole.MEMBER, dissolved: false, createdAt: 1, updatedAt: 10 };

  it('groups: newer updatedAt wins; leaving keeps the group without a role', () => {
    const cache = open();
    expect(cache.groups.apply(group, 1).change).toBe('inserted');
    expect(cache.groups.apply({ ...group, name: 'Old name', updatedAt: 5 }, 2).change).toBe('unchanged');
    expect(cache.groups.apply({ ...group, name: 'Renamed', updatedAt: 11 }, 3)).toMatchObject({ change: 'updated', group: { name: 'Renamed', myRole: 'member' } });
    cache.groups.apply({ ...group, groupId: 8, name: 'Alpha', updatedAt: 1 }, 4);
    cache.groups.apply({ ...group, name: 'Renamed', myRole: GroupRole.UNSPECIFIED, updatedAt: 12 }, 5);
    expect(cache.groups.get(7)?.myRole).toBeUndefined();
    expect(cache.groups.list().map((g) => g.id)).toEqual([8, 7]);
  });

  it('members: roles, removal, replaceAll, ordering', () => {
    const cache = open();
    const m = (userId: number, role: GroupRole, name: string) => ({ groupId: 7, userId, role, joinedAt: 1, profile: wireProfile(userId, name) });
    cache.members.apply(m(2, GroupRole.OWNER, 'Zed'), 1);
    cache.members.apply(m(3, GroupRole.MEMBER, 'Amy'), 2);
    cache.members.apply(m(4, GroupRole.ADMIN, 'Bea'), 3);
    expect(cache.members.list(7).map((x) => [x.userId, x.role])).toEqual([[2, 'owner'], [4, 'admin'], [3, 'member']]);
    expect(cache.members.apply(m(3, GroupRole.UNSPECIFIED, 'Amy'), 4).change).toBe('updated');
    expect(cache.members.apply(m(3, GroupRole.MEMBER, 'Amy'), 2).change).toBe('unchanged'); // older than the removal
    expect(cache.members.get(7, 3)).toBeUndefined();
    expect(cache.members.count(7)).toBe(2);
    expect(cache.members.apply(m(3, GroupRole.MEMBER, 'Amy'), 9).change).toBe('updated'); // re-joined later
    expect(cache.members.count(7)).toBe(3);
    expect(cache.members.replaceAll(7, [m(5, GroupRole.OWNER, 'New')]).map((x) => x.userId)).toEqual([5]);
    expect(cache.members.get(7, 5)?.profile.nickname).toBe('New');
  });

  it('a sync page mixing domains advances each domain cursor and reports changes', () => {
    const cache = open();
    const res = cache.applySyncEvents([
      { seq: 3, domain: SyncDomain.GROUPS, event: { case: 'group', value: group } },
      { seq: 4, domain: SyncDomain.MEMBERS, event: { case: 'member', value: { groupId: 7, userId: 2, role: GroupRole.OWNER, joinedAt: 1 } } },
      { seq: 5, domain: SyncDomain.PROFILES, event: { case: 'profile', value: wireProfile(2, 'Owner') } },
      { seq: 6, domain: SyncDomain.FRIENDS, event: { case: 'friend', value: { userId: 2, state: FriendState.FRIEND, since: 1 } } },
    ]);
    expect(res.groups.map((g) => g.id)).toEqual([7]);
    expect(res.members).toEqual([{ groupId: 7, members: [expect.objectContaining({ userId: 2, role: 'owner' })] }]);
    expect(res.profiles.map((p) => p.nickname)).toEqual(['Owner']);
    expect(res.friends.map((f) => f.nickname)).toEqual(['Owner']);
    expect(cache.syncState.getCursors()).toEqual({ [SyncDomain.GROUPS]: 3, [SyncDomain.MEMBERS]: 4, [SyncDomain.PROFILES]: 5, [SyncDomain.FRIENDS]: 6 });
  });
});

describe('outbox and sync state', () => {
  it('outbox entries: due list, updates, removal', () => {
    const cache = open();
    const payload = { text: 'hi', mentions: [], replyToMsgId: 0 };
    cache.outbox.add({ clientMsgId: 'a', key: 'u:2', payload, createdAt: 1 });
    cache.outbox.add({ clientMsgId: 'b', key: 'u:2', payload, createdAt: 2, nextAttemptAt: 100 });
    expect(() => cache.outbox.add({ clientMsgId: 'a', key: 'u:2', payload, createdAt: 3 })).toThrow();
    expect(cache.outbox.listDue(50).map((e) => e.clientMsgId)).toEqual(['a']);
    cache.outbox.update('a', { state: 'inflight', attempts: 1 });
    expect(cache.outbox.listDue(200).map((e) => e.clientMsgId)).toEqual(['b']);
    expect(cache.outbox.update('b', { state: 'failed', lastError: { code: 'TIMEOUT', message: 'x' } })).toMatchObject({ state: 'failed', lastError: { code: 'TIMEOUT' } });
    expect(cache.outbox.list().map((e) => [e.clientMsgId, e.state, e.attempts])).toEqual([['a', 'inflight', 1], ['b', 'failed', 0]]);
    expect(cache.outbox.remove('a')).toBe(true);
    expect(cache.outbox.remove('a')).toBe(false);
    expect(cache.outbox.count()).toBe(1);
  });

  it('enqueueOutgoing stores the pending message and its outbox entry together, or neither', () => {
    const cache = open();
    const r = cache.enqueueOutgoing({ id: 'm1', key: 'u:2', text: 'hello', mentions: [2], replyTo: { serverId: 9, senderId: 2, preview: 'q' }, createdAt: 7 });
    expect(r.message).toMatchObject({ id: 'm1', status: 'pending', outgoing: true });
    expect(r.entry).toMatchObject({ clientMsgId: 'm1', state: 'queued', nextAttemptAt: 7, payload: { text: 'hello', mentions: [2], replyToMsgId: 9 } });
    cache.outbox.remove('m1');
    cache.outbox.add({ clientMsgId: 'm2', key: 'u:2', payload: { text: 'x', mentions: [], replyToMsgId: 0 }, createdAt: 1 });
    expect(() => cache.enqueueOutgoing({ id: 'm2', key: 'u:2', text: 'dup', createdAt: 8 })).toThrow();
    expect(cache.messages.get('m2')).toBeUndefined(); // rolled back with the failed outbox insert
  });

  it('cursors only move forward; meta stores JSON values', () => {
    const cache = open();
    expect(cache.syncState.getCursor(SyncDomain.MESSAGES)).toBe(0);
    expect(cache.syncState.setCursor(SyncDomain.MESSAGES, 10)).toBe(10);
    expect(cache.syncState.setCursor(SyncDomain.MESSAGES, 5)).toBe(10);
    cache.syncState.setMeta('head', { seq: 3 });
    expect(cache.syncState.getMeta('head')).toEqual({ seq: 3 });
    cache.syncState.setMeta('head', undefined);
    expect(cache.syncState.getMeta('head')).toBeUndefined();
  });
});
