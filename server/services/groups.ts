/**
 * Groups and their members. Roles: OWNER (one; may also set roles and
 * dissolve) > ADMIN (invite, remove lower roles, rename) > MEMBER.
 *
 * Events: each member gets a GROUPS event with the group as they see it
 * (`my_role`; UNSPECIFIED once they are out). The other members get a
 * MEMBERS event per changed member. Someone who joins gets the group, not
 * the whole roster: they page it with GROUP_MEMBERS.
 */
import { create } from '@bufbuild/protobuf';
import {
  GroupMemberListSchema,
  GroupRole,
  ResultCode,
  SyncDomain,
  type GroupCreateRequest,
  type GroupInfo,
  type GroupMemberList,
  type GroupMembersQuery,
  type GroupMembersRequest,
  type GroupRenameRequest,
  type GroupSetRoleRequest,
} from '../../shared/protocol';
import type { GroupMemberRow, GroupRow } from '../storage/store';
import { isFriend } from './access';
import type { Caller, ServiceDeps } from './deps';
import { fail, invalid } from './errors';
import { renderGroup, renderMember } from './render';
import { requireId, requireIds, requireText, toNumber } from './validate';

export class GroupService {
  constructor(private readonly deps: ServiceDeps) {}

  create(caller: Caller, req: GroupCreateRequest): GroupInfo {
    const { store, events, clock, config } = this.deps;
    const name = requireText('name', req.name.trim(), 1, 64);
    const memberIds = requireIds('member_ids', req.memberIds, config.maxGroupSize).filter((id) => id !== caller.userId);
    if (memberIds.length + 1 > config.maxGroupSize) throw fail(ResultCode.GROUP_FULL, `a group holds at most ${config.maxGroupSize} members`);
    return events.commit(() => {
      for (const id of memberIds) {
        if (!isFriend(store, caller.userId, id)) throw fail(ResultCode.NOT_FRIENDS, `user ${id} is not your friend`);
      }
      const now = clock.now();
      const groupId = store.groups.create(name, caller.userId, now);
      store.conversations.ensureGroup(groupId);
      store.groups.addMember(groupId, caller.userId, GroupRole.OWNER, now);
      for (const id of memberIds) store.groups.addMember(groupId, id, GroupRole.MEMBER, now);
      const group = store.groups.byId(groupId)!;
      group.member_count = memberIds.length + 1;
      store.groups.update(group);
      this.publishGroup(group, [caller.userId, ...memberIds]);
      return renderGroup(group, GroupRole.OWNER);
    });
  }

  get(caller: Caller, groupId: bigint): GroupInfo {
    const { group, me } = this.membership(caller, requireId('group_id', groupId));
    return renderGroup(group, me.role as GroupRole);
  }

  rename(caller: Caller, req: GroupRenameRequest): GroupInfo {
    const { events, clock, store } = this.deps;
    const name = requireText('name', req.name.trim(), 1, 64);
    return events.commit(() => {
      const { group, me } = this.membership(caller, requireId('group_id', req.groupId), GroupRole.ADMIN);
      group.name = name;
      group.updated_at = clock.now();
      store.groups.update(group);
      this.publishGroup(group, store.groups.memberIds(group.id));
      return renderGroup(group, me.role as GroupRole);
    });
  }

  invite(caller: Caller, req: GroupMembersRequest): void {
    const { store, events, clock, config } = this.deps;
    const ids = requireIds('user_ids', req.userIds, config.maxGroupSize);
    if (ids.length === 0) throw invalid('user_ids', 'user_ids is empty');
    events.commit(() => {
      const { group } = this.membership(caller, requireId('group_id', req.groupId), GroupRole.ADMIN);
      for (const id of ids) {
        if (store.groups.member(group.id, id)) throw fail(ResultCode.ALREADY_MEMBER, `user ${id} is already a member`);
        if (!isFriend(store, caller.userId, id)) throw fail(ResultCode.NOT_FRIENDS, `user ${id} is not your friend`);
      }
      if (group.member_count + ids.length > config.maxGroupSize) throw fail(ResultCode.GROUP_FULL, `a group holds at most ${config.maxGroupSize} members`);
      const existing = store.groups.memberIds(group.id);
      const now = clock.now();
      for (const id of ids) store.groups.addMember(group.id, id, GroupRole.MEMBER, now);
      group.member_count += ids.length;
      group.updated_at = now;
      store.groups.update(group);
      this.publishGroup(group, [...existing, ...ids]);
      for (const id of ids) this.publishMember(store.groups.member(group.id, id)!, existing);
    });
  }

  remove(caller: Caller, req: GroupMembersRequest): void {
    const { store, events, config } = this.deps;
    const ids = requireIds('user_ids', req.userIds, config.maxGroupSize);
    if (ids.length === 0) throw invalid('user_ids', 'user_ids is empty');
    events.commit(() => {
      const { group, me } = this.membership(caller, requireId('group_id', req.groupId), GroupRole.ADMIN);
      const targets: GroupMemberRow[] = [];
      for (const id of ids) {
        const target = store.groups.member(group.id, id);
        if (!target) throw fail(ResultCode.NOT_FOUND, `user ${id} is not a member`);
        if (target.role >= me.role) throw fail(ResultCode.PERMISSION_DENIED, 'you may only remove members of a lower role');
        targets.push(target);
      }
      this.dropMembers(group, targets);
    });
  }

  leave(caller: Caller, groupId: bigint): void {
    this.deps.events.commit(() => {
      const { group, me } = this.membership(caller, requireId('group_id', groupId));
      if (me.role === GroupRole.OWNER) throw fail(ResultCode.PERMISSION_DENIED, 'the owner must transfer ownership or dissolve the group');
      this.dropMembers(group, [me]);
    });
  }

  dissolve(caller: Caller, groupId: bigint): void {
    const { store, events, clock } = this.deps;
    events.commit(() => {
      const { group } = this.membership(caller, requireId('group_id', groupId), GroupRole.OWNER);
      const members = store.groups.memberIds(group.id);
      for (const id of members) store.groups.removeMember(group.id, id);
      group.dissolved = 1;
      group.member_count = 0;
      group.updated_at = clock.now();
      store.groups.update(group);
      events.appendToMany(members, SyncDomain.GROUPS, { case: 'group', value: renderGroup(group, GroupRole.UNSPECIFIED) });
    });
  }

  setRole(caller: Caller, req: GroupSetRoleRequest): void {
    const { store, events, clock } = this.deps;
    const userId = requireId('user_id', req.userId);
    if (req.role !== GroupRole.MEMBER && req.role !== GroupRole.ADMIN && req.role !== GroupRole.OWNER) throw invalid('role', 'role must be MEMBER, ADMIN or OWNER');
    if (userId === caller.userId) throw invalid('user_id', 'cannot change your own role');
    events.commit(() => {
      const { group } = this.membership(caller, requireId('group_id', req.groupId), GroupRole.OWNER);
      const target = store.groups.member(group.id, userId);
      if (!target) throw fail(ResultCode.NOT_FOUND, 'not a member');
      const members = store.groups.memberIds(group.id);
      const changed: number[] = [userId];
      store.groups.setRole(group.id, userId, req.role);
      if (req.role === GroupRole.OWNER) {
        // Ownership transfer: the old owner stays on as an admin.
        store.groups.setRole(group.id, caller.userId, GroupRole.ADMIN);
        changed.push(caller.userId);
        group.owner_id = userId;
      }
      group.updated_at = clock.now();
      store.groups.update(group);
      this.publishGroup(group, changed.length === 2 ? members : changed);
      for (const id of changed) this.publishMember(store.groups.member(group.id, id)!, members.filter((m) => m !== id));
    });
  }

  members(caller: Caller, req: GroupMembersQuery): GroupMemberList {
    const { store, config } = this.deps;
    const limit = req.limit === 0 ? config.syncDefaultLimit : Math.min(req.limit, config.syncMaxLimit);
    const groupId = requireId('group_id', req.groupId);
    this.membership(caller, groupId);
    const rows = store.groups.members(groupId, toNumber('after_user_id', req.afterUserId), limit + 1);
    const page = rows.slice(0, limit);
    return create(GroupMemberListSchema, {
      members: page.map((m) => renderMember(m, store.users.byId(m.user_id))),
      hasMore: rows.length > limit,
    });
  }

  /** The group and the caller's membership, checked against a minimum role. */
  membership(caller: Caller, groupId: number, minRole: GroupRole = GroupRole.MEMBER): { group: GroupRow; me: GroupMemberRow } {
    const { store } = this.deps;
    const group = store.groups.byId(groupId);
    if (!group) throw fail(ResultCode.NOT_FOUND, 'no such group');
    if (group.dissolved) throw fail(ResultCode.GROUP_DISSOLVED, 'group dissolved');
    const me = store.groups.member(groupId, caller.userId);
    if (!me) throw fail(ResultCode.NOT_MEMBER, 'not a member of this group');
    if (me.role < minRole) throw fail(ResultCode.PERMISSION_DENIED, 'your role does not allow this');
    return { group, me };
  }

  private dropMembers(group: GroupRow, targets: readonly GroupMemberRow[]): void {
    const { store, events, clock } = this.deps;
    for (const t of targets) store.groups.removeMember(group.id, t.user_id);
    group.member_count -= targets.length;
    group.updated_at = clock.now();
    store.groups.update(group);
    const remaining = store.groups.memberIds(group.id);
    const gone = targets.map((t) => t.user_id);
    events.appendToMany(gone, SyncDomain.GROUPS, { case: 'group', value: renderGroup(group, GroupRole.UNSPECIFIED) });
    this.publishGroup(group, remaining);
    for (const t of targets) this.publishMember({ ...t, role: GroupRole.UNSPECIFIED }, remaining);
  }

  /** Each user gets the group with their own role. */
  private publishGroup(group: GroupRow, userIds: readonly number[]): void {
    const { store, events } = this.deps;
    for (const id of userIds) {
      const role = (store.groups.member(group.id, id)?.role ?? GroupRole.UNSPECIFIED) as GroupRole;
      events.append(id, SyncDomain.GROUPS, { case: 'group', value: renderGroup(group, role) });
    }
  }

  private publishMember(member: GroupMemberRow, audience: readonly number[]): void {
    const { store, events } = this.deps;
    const value = renderMember(member, store.users.byId(member.user_id));
    events.appendToMany(audience, SyncDomain.MEMBERS, { case: 'member', value });
  }
}
