import { describe, expect, it, vi } from 'vitest';
import type { Contact, FriendRequestView, GroupMemberView, GroupView } from '../../shared/ipc';
import { useContactsStore } from '../../renderer/stores/contacts';
import { useGroupsStore } from '../../renderer/stores/groups';
import { useSessionStore } from '../../renderer/stores/session';
import { setupEnv } from './setup';

const profile = (userId: number, nickname: string) => ({ userId, username: nickname.toLowerCase(), nickname, avatar: '', signature: '' });
const contact = (userId: number, nickname: string, online = false): Contact => ({ ...profile(userId, nickname), state: 'friend', online, lastSeen: 0 });
const request = (id: number, state: FriendRequestView['state'] = 'pending'): FriendRequestView => ({ id, direction: 'incoming', user: profile(9, 'Zed'), message: 'hi', state, createdAt: id });
const group = (id: number, over: Partial<GroupView> = {}): GroupView => ({ id, name: `G${id}`, ownerId: 1, memberCount: 3, myRole: 'member', dissolved: false, ...over });
const member = (userId: number, role: GroupMemberView['role'], nickname: string): GroupMemberView => ({ groupId: 7, userId, role, profile: profile(userId, nickname), online: false });

describe('contacts store', () => {
  it('lists friends online first, applies presence and request changes live', async () => {
    const env = setupEnv({ listFriends: () => [contact(2, 'Bob'), contact(3, 'Ann', true)], listFriendRequests: () => [request(1)] });
    const store = useContactsStore();
    store.bind();
    await store.load();
    expect(store.friends.map((f) => f.nickname)).toEqual(['Ann', 'Bob']);
    expect(store.pendingIncoming).toHaveLength(1);
    env.fake.emit('presence', { userId: 2, online: true, lastSeen: 5 });
    env.fake.emit('presence', { userId: 3, online: false, lastSeen: 6 });
    expect(store.friends.map((f) => `${f.nickname}:${f.online}`)).toEqual(['Bob:true', 'Ann:false']);
    await store.accept(1);
    expect(env.fake.calls.acceptFriendRequest).toHaveBeenCalledWith({ requestId: 1 });
    expect(store.pendingIncoming).toHaveLength(0);
    env.fake.emit('friendRequestsChanged', { requests: [request(2)] });
    expect(store.pendingIncoming.map((r) => r.id)).toEqual([2]);
    await store.remove(2);
    expect(store.friends.map((f) => f.nickname)).toEqual(['Ann']);
  });

  it('batches profile lookups of unknown senders into one call', async () => {
    const env = setupEnv({ getProfiles: ({ userIds }) => userIds.map((id) => profile(id, `U${id}`)) });
    const store = useContactsStore();
    vi.useFakeTimers();
    try {
      store.ensureProfiles([5, 6]);
      await vi.advanceTimersByTimeAsync(10);
      store.ensureProfiles([6, 7]); // inside the batching delay: joins the same lookup
      expect(env.fake.calls.getProfiles).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(10);
    } finally {
      vi.useRealTimers();
    }
    expect(env.fake.calls.getProfiles).toHaveBeenCalledTimes(1);
    expect(env.fake.calls.getProfiles).toHaveBeenCalledWith({ userIds: [5, 6, 7] });
    await vi.waitFor(() => expect(store.profileOf(7)?.nickname).toBe('U7'));
  });
});

describe('groups store', () => {
  it('keeps live groups, orders members by role, and drops groups left or dissolved', async () => {
    const env = setupEnv({
      listGroups: () => [group(7), group(8, { name: 'Alpha' })],
      listGroupMembers: () => [member(3, 'member', 'Cy'), member(1, 'owner', 'Al'), member(2, 'admin', 'Bo')],
    });
    const store = useGroupsStore();
    store.bind();
    await store.load();
    expect(store.list.map((g) => g.name)).toEqual(['Alpha', 'G7']);
    await store.loadMembers(7);
    expect(store.members.get(7)!.map((m) => m.role)).toEqual(['owner', 'admin', 'member']);
    env.fake.emit('presence', { userId: 3, online: true, lastSeen: 9 });
    expect(store.members.get(7)!.find((m) => m.userId === 3)?.online).toBe(true);
    env.fake.emit('groupsChanged', { groups: [group(8, { name: 'Alpha', dissolved: true })] });
    await store.leave(7);
    expect(env.fake.calls.leaveGroup).toHaveBeenCalledWith({ groupId: 7 });
    expect(store.list).toEqual([]);
  });
});

describe('session store', () => {
  it('signs in again with the stored device token of the last account, but not after signing out of it', async () => {
    const account = { userId: 1, username: 'alice', nickname: 'Alice', avatar: '', server: 'h:1', canAutoLogin: true, lastLoginAt: 5 };
    const session = { account, profile: profile(1, 'Alice') };
    const env = setupEnv({ listAccounts: () => [account], login: () => session });
    localStorage.clear();
    const store = useSessionStore();
    await store.init();
    expect(env.fake.calls.login).toHaveBeenCalledWith({ username: 'alice' });
    expect(store.phase).toBe('signed-in');
    await store.logout();
    expect(store.phase).toBe('signed-out');
    await store.init();
    expect(env.fake.calls.login).toHaveBeenCalledTimes(1);
    expect(store.phase).toBe('signed-out');
  });
});
