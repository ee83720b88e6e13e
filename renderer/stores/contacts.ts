import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { Contact, FriendRequestView, Profile } from '../../shared/ipc';
import { useApi } from '../api';

export const useContactsStore = defineStore('contacts', () => {
  const byId = shallowRef(new Map<number, Contact>());
  const requests = ref<FriendRequestView[]>([]);
  /** Profiles of people who are not friends (group members, senders), fetched on demand. */
  const profiles = shallowRef(new Map<number, Profile>());
  const pendingProfileIds = new Set<number>();
  let profileTimer: ReturnType<typeof setTimeout> | null = null;

  const friends = computed(() =>
    Array.from(byId.value.values())
      .filter((c) => c.state !== 'removed')
      .sort((a, b) => Number(b.online) - Number(a.online) || a.nickname.localeCompare(b.nickname)),
  );
  const pendingIncoming = computed(() => requests.value.filter((r) => r.direction === 'incoming' && r.state === 'pending'));
  /**
   * Requests answered while the app runs (by us, or the other side accepting
   * ours): they stay in the list with their outcome until dismissed, rather
   * than vanishing; older answered ones are kept apart (`earlierRequests`).
   */
  const answeredNow = ref(new Set<number>());
  const currentRequests = computed(() => requests.value.filter((r) => r.state === 'pending' || answeredNow.value.has(r.id)));
  const earlierRequests = computed(() => requests.value.filter((r) => r.state !== 'pending' && !answeredNow.value.has(r.id)));

  function markAnswered(id: number): void {
    answeredNow.value = new Set(answeredNow.value).add(id);
  }
  function dismissRequest(id: number): void {
    const next = new Set(answeredNow.value);
    next.delete(id);
    answeredNow.value = next;
  }

  function applyFriends(list: readonly Contact[], replace = false): void {
    const map = replace ? new Map<number, Contact>() : byId.value;
    for (const c of list) map.set(c.userId, c);
    byId.value = map;
    triggerRef(byId);
  }

  function applyRequests(list: readonly FriendRequestView[]): void {
    const map = new Map(requests.value.map((r) => [r.id, r]));
    for (const r of list) {
      if (map.get(r.id)?.state === 'pending' && r.state !== 'pending') markAnswered(r.id);
      map.set(r.id, r);
    }
    requests.value = Array.from(map.values()).sort((a, b) => b.createdAt - a.createdAt);
  }

  async function load(): Promise<void> {
    const api = useApi();
    const [f, r] = await Promise.all([api.listFriends({}), api.listFriendRequests({})]);
    applyFriends(f, true);
    requests.value = [];
    applyRequests(r);
  }

  /** Best display name we know for a user id. */
  function profileOf(userId: number): Profile | null {
    return byId.value.get(userId) ?? profiles.value.get(userId) ?? null;
  }

  /** Batches unknown ids into one getProfiles call. */
  function ensureProfiles(ids: readonly number[]): void {
    for (const id of ids) if (id > 0 && !profileOf(id)) pendingProfileIds.add(id);
    if (pendingProfileIds.size === 0 || profileTimer) return;
    profileTimer = setTimeout(() => {
      profileTimer = null;
      const userIds = Array.from(pendingProfileIds).slice(0, 500);
      userIds.forEach((id) => pendingProfileIds.delete(id));
      void useApi().getProfiles({ userIds }).then(addProfiles).catch(() => undefined);
    }, 20);
  }

  function addProfiles(list: readonly Profile[]): void {
    const map = profiles.value;
    for (const p of list) map.set(p.userId, p);
    triggerRef(profiles);
  }

  async function sendRequest(username: string, message?: string): Promise<FriendRequestView> {
    const r = await useApi().sendFriendRequest(message ? { username, message } : { username });
    applyRequests([r]);
    return r;
  }

  function setRequestState(requestId: number, state: FriendRequestView['state']): void {
    requests.value = requests.value.map((r) => (r.id === requestId ? { ...r, state } : r));
    if (state !== 'pending') markAnswered(requestId);
  }

  async function accept(requestId: number): Promise<void> {
    await useApi().acceptFriendRequest({ requestId });
    setRequestState(requestId, 'accepted');
  }

  async function decline(requestId: number): Promise<void> {
    await useApi().declineFriendRequest({ requestId });
    setRequestState(requestId, 'declined');
  }

  /** Changes a known contact in place (a friend we have not loaded is left alone). */
  function patchFriend(userId: number, change: Partial<Contact>): void {
    const c = byId.value.get(userId);
    if (c) applyFriends([{ ...c, ...change }]);
  }

  async function remove(userId: number): Promise<void> {
    await useApi().removeFriend({ userId });
    patchFriend(userId, { state: 'removed' });
  }

  async function block(userId: number): Promise<void> {
    await useApi().blockUser({ userId });
    patchFriend(userId, { state: 'blocked' });
  }

  async function unblock(userId: number): Promise<void> {
    await useApi().unblockUser({ userId });
    patchFriend(userId, { state: 'friend' });
  }

  function findUser(username: string): Promise<Profile | null> {
    return useApi().findUser({ username });
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onFriendsChanged(({ friends: list }) => applyFriends(list)),
      api.onFriendRequestsChanged(({ requests: list }) => applyRequests(list)),
      api.onPresence(({ userId, online, lastSeen, hidden }) => patchFriend(userId, { online, lastSeen, presenceHidden: hidden === true })),
    ];
    return () => offs.forEach((off) => off());
  }

  return {
    byId, requests, profiles, friends, pendingIncoming, currentRequests, earlierRequests, dismissRequest, applyFriends, applyRequests, load, profileOf, ensureProfiles,
    addProfiles, sendRequest, accept, decline, remove, block, unblock, findUser, bind,
  };
});
