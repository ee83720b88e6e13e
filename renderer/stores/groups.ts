import { defineStore } from 'pinia';
import { computed, ref, shallowReactive } from 'vue';
import type { GroupMemberView, GroupRole, GroupView } from '../../shared/ipc';
import { useApi } from '../api';

export const useGroupsStore = defineStore('groups', () => {
  const byId = ref(new Map<number, GroupView>());
  const members = shallowReactive(new Map<number, GroupMemberView[]>());

  const list = computed(() =>
    Array.from(byId.value.values())
      .filter((g) => g.myRole !== undefined && !g.dissolved)
      .sort((a, b) => a.name.localeCompare(b.name)),
  );

  function apply(groups: readonly GroupView[]): void {
    const map = new Map(byId.value);
    for (const g of groups) map.set(g.id, g);
    byId.value = map;
  }

  async function load(): Promise<void> {
    const groups = await useApi().listGroups({});
    byId.value = new Map();
    apply(groups);
  }

  /** How far each other member of a group has read (user id → conversation seq), asked on demand: the server does not push group reads. */
  const reads = shallowReactive(new Map<number, ReadonlyMap<number, number>>());
  async function loadReads(groupId: number): Promise<void> {
    const list = await useApi().groupReads({ groupId });
    const old = reads.get(groupId);
    if (old && old.size === list.length && list.every((r) => old.get(r.userId) === r.readSeq)) return; // unchanged: no re-render
    reads.set(groupId, new Map(list.map((r) => [r.userId, r.readSeq])));
  }

  async function loadMembers(groupId: number): Promise<GroupMemberView[]> {
    const list = await useApi().listGroupMembers({ groupId });
    members.set(groupId, sortMembers(list));
    return list;
  }

  const rank: Record<GroupRole, number> = { owner: 0, admin: 1, member: 2 };
  function sortMembers(list: readonly GroupMemberView[]): GroupMemberView[] {
    return list.slice().sort((a, b) => rank[a.role] - rank[b.role] || a.profile.nickname.localeCompare(b.profile.nickname));
  }

  async function create(name: string, memberIds: number[]): Promise<GroupView> {
    const g = await useApi().createGroup({ name, memberIds });
    apply([g]);
    return g;
  }

  async function rename(groupId: number, name: string): Promise<void> {
    apply([await useApi().renameGroup({ groupId, name })]);
  }

  async function invite(groupId: number, userIds: number[]): Promise<void> {
    await useApi().inviteToGroup({ groupId, userIds });
    await loadMembers(groupId);
  }

  async function removeMembers(groupId: number, userIds: number[]): Promise<void> {
    await useApi().removeFromGroup({ groupId, userIds });
    await loadMembers(groupId);
  }

  async function leave(groupId: number): Promise<void> {
    await useApi().leaveGroup({ groupId });
    const g = byId.value.get(groupId);
    if (g) apply([{ ...g, myRole: undefined }]);
  }

  async function dissolve(groupId: number): Promise<void> {
    await useApi().dissolveGroup({ groupId });
    const g = byId.value.get(groupId);
    if (g) apply([{ ...g, dissolved: true }]);
  }

  async function setRole(groupId: number, userId: number, role: GroupRole): Promise<void> {
    await useApi().setGroupRole({ groupId, userId, role });
    await loadMembers(groupId);
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onGroupsChanged(({ groups }) => apply(groups)),
      api.onMembersChanged(({ groupId, members: list }) => members.set(groupId, sortMembers(list))),
      api.onPresence(({ userId, online }) => {
        for (const [groupId, list] of members) {
          if (list.some((m) => m.userId === userId && m.online !== online)) {
            members.set(groupId, list.map((m) => (m.userId === userId ? { ...m, online } : m)));
          }
        }
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  return { byId, members, reads, list, apply, load, loadReads, loadMembers, create, rename, invite, removeMembers, leave, dissolve, setRole, bind };
});
