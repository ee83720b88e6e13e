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
  GroupActionKind, GroupMemberListSchema, GroupReadsSchema, GroupRole, ResultCode, SyncDomain, type GroupInfo, type GroupMemberList, type GroupReads,
} from '../../shared/protocol';
import type { GroupMemberRow, GroupRow, Tx } from '../storage/store';
import type { Caller } from '../services/deps';
import { fail } from '../services/errors';
import { isFriend } from './access';
import { postGroupAction } from './group-actions';
import { readOperation, writeOperation, type WriteContext } from './operation';
import { renderGroup, renderMember } from './render';

/** The group and the caller's membership, checked against a minimum role. */
export async function requireMembership(tx: Tx, caller: Caller, groupId: number, minRole: GroupRole = GroupRole.MEMBER): Promise<{ group: GroupRow; me: GroupMemberRow }> {
  const group = await tx.groups.byId(groupId);
  if (!group) throw fail(ResultCode.NOT_FOUND, 'no such group');
  if (group.dissolved) throw fail(ResultCode.GROUP_DISSOLVED, 'group dissolved');
  const me = await tx.groups.member(groupId, caller.userId);
  if (!me) throw fail(ResultCode.NOT_MEMBER, 'not a member of this group');
  if (me.role < minRole) throw fail(ResultCode.PERMISSION_DENIED, 'your role does not allow this');
  return { group, me };
}

export const createGroup = writeOperation('groups.create', async (ctx, a: { caller: Caller; name: string; memberIds: number[] }): Promise<GroupInfo> => {
  const { tx, now } = ctx;
  const owner = a.caller.userId;
  for (const id of a.memberIds) {
    if (!(await isFriend(tx, owner, id))) throw fail(ResultCode.NOT_FRIENDS, `user ${id} is not your friend`);
  }
  const groupId = await tx.groups.create(a.name, owner, now);
  await tx.conversations.ensureGroup(groupId);
  await tx.groups.addMember(groupId, owner, GroupRole.OWNER, now);
  for (const id of a.memberIds) await tx.groups.addMember(groupId, id, GroupRole.MEMBER, now);
  const group = (await tx.groups.byId(groupId))!;
  group.member_count = a.memberIds.length + 1;
  await tx.groups.update(group);
  await publishGroup(ctx, group, [owner, ...a.memberIds]);
  // Every member sees the new group in the chat list at once, and learns who added them.
  await postGroupAction(ctx, { groupId, actorId: owner, kind: GroupActionKind.CREATED, name: a.name, audience: [owner, ...a.memberIds] });
  if (a.memberIds.length > 0) {
    await postGroupAction(ctx, { groupId, actorId: owner, kind: GroupActionKind.MEMBERS_ADDED, userIds: a.memberIds, audience: [owner, ...a.memberIds] });
  }
  return renderGroup(group, GroupRole.OWNER);
});

export const getGroup = readOperation('groups.get', async ({ tx }, a: { caller: Caller; groupId: number }): Promise<GroupInfo> => {
  const { group, me } = await requireMembership(tx, a.caller, a.groupId);
  return renderGroup(group, me.role as GroupRole);
});

/**
 * How far each other member has read (GROUP_READS): the sender counts the
 * members whose read_seq reaches a message's conv_seq. Asked on demand, not
 * pushed, so a read in a big group writes nothing for the other members.
 */
export const groupReads = readOperation('groups.reads', async ({ tx }, a: { caller: Caller; groupId: number }): Promise<GroupReads> => {
  await requireMembership(tx, a.caller, a.groupId);
  const conv = await tx.conversations.group(a.groupId);
  const seqs = new Map((conv ? await tx.messages.readStates(conv.id) : []).map((r) => [r.user_id, r.read_seq]));
  const members = (await tx.groups.memberIds(a.groupId)).filter((id) => id !== a.caller.userId);
  return create(GroupReadsSchema, { reads: members.map((userId) => ({ userId: BigInt(userId), readSeq: BigInt(seqs.get(userId) ?? 0) })) });
});

export const renameGroup = writeOperation('groups.rename', async (ctx, a: { caller: Caller; groupId: number; name: string }): Promise<GroupInfo> => {
  const { tx, now } = ctx;
  const { group, me } = await requireMembership(tx, a.caller, a.groupId, GroupRole.ADMIN);
  group.name = a.name;
  group.updated_at = now;
  await tx.groups.update(group);
  const members = await tx.groups.memberIds(group.id);
  await publishGroup(ctx, group, members);
  await postGroupAction(ctx, { groupId: group.id, actorId: a.caller.userId, kind: GroupActionKind.RENAMED, name: a.name, audience: members });
  return renderGroup(group, me.role as GroupRole);
});

export const inviteMembers = writeOperation('groups.invite', async (ctx, a: { caller: Caller; groupId: number; userIds: number[]; maxGroupSize: number }) => {
  const { tx, now } = ctx;
  const { group } = await requireMembership(tx, a.caller, a.groupId, GroupRole.ADMIN);
  for (const id of a.userIds) {
    if (await tx.groups.member(group.id, id)) throw fail(ResultCode.ALREADY_MEMBER, `user ${id} is already a member`);
    if (!(await isFriend(tx, a.caller.userId, id))) throw fail(ResultCode.NOT_FRIENDS, `user ${id} is not your friend`);
  }
  if (group.member_count + a.userIds.length > a.maxGroupSize) throw fail(ResultCode.GROUP_FULL, `a group holds at most ${a.maxGroupSize} members`);
  const existing = await tx.groups.memberIds(group.id);
  for (const id of a.userIds) await tx.groups.addMember(group.id, id, GroupRole.MEMBER, now);
  group.member_count += a.userIds.length;
  group.updated_at = now;
  await tx.groups.update(group);
  await publishGroup(ctx, group, [...existing, ...a.userIds]);
  for (const id of a.userIds) await publishMember(ctx, (await tx.groups.member(group.id, id))!, existing);
  await postGroupAction(ctx, { groupId: group.id, actorId: a.caller.userId, kind: GroupActionKind.MEMBERS_ADDED, userIds: a.userIds, audience: [...existing, ...a.userIds] });
});

export const removeMembers = writeOperation('groups.remove', async (ctx, a: { caller: Caller; groupId: number; userIds: number[] }) => {
  const { tx } = ctx;
  const { group, me } = await requireMembership(tx, a.caller, a.groupId, GroupRole.ADMIN);
  const targets: GroupMemberRow[] = [];
  for (const id of a.userIds) {
    const target = await tx.groups.member(group.id, id);
    if (!target) throw fail(ResultCode.NOT_FOUND, `user ${id} is not a member`);
    if (target.role >= me.role) throw fail(ResultCode.PERMISSION_DENIED, 'you may only remove members of a lower role');
    targets.push(target);
  }
  await dropMembers(ctx, group, targets);
  await postGroupAction(ctx, {
    groupId: group.id, actorId: a.caller.userId, kind: GroupActionKind.MEMBERS_REMOVED, userIds: a.userIds,
    audience: [...(await ctx.tx.groups.memberIds(group.id)), ...a.userIds],
  });
});

export const leaveGroup = writeOperation('groups.leave', async (ctx, a: { caller: Caller; groupId: number }) => {
  const { group, me } = await requireMembership(ctx.tx, a.caller, a.groupId);
  if (me.role === GroupRole.OWNER) throw fail(ResultCode.PERMISSION_DENIED, 'the owner must transfer ownership or dissolve the group');
  await dropMembers(ctx, group, [me]);
  await postGroupAction(ctx, { groupId: group.id, actorId: a.caller.userId, kind: GroupActionKind.LEFT, audience: [...(await ctx.tx.groups.memberIds(group.id)), a.caller.userId] });
});

export const dissolveGroup = writeOperation('groups.dissolve', async (ctx, a: { caller: Caller; groupId: number }) => {
  const { tx, events, now } = ctx;
  const { group } = await requireMembership(tx, a.caller, a.groupId, GroupRole.OWNER);
  const members = await tx.groups.memberIds(group.id);
  for (const id of members) await tx.groups.removeMember(group.id, id);
  group.dissolved = 1;
  group.member_count = 0;
  group.updated_at = now;
  await tx.groups.update(group);
  events.appendToMany(members, SyncDomain.GROUPS, { case: 'group', value: renderGroup(group, GroupRole.UNSPECIFIED) });
  await postGroupAction(ctx, { groupId: group.id, actorId: a.caller.userId, kind: GroupActionKind.DISSOLVED, audience: members });
});

export const setMemberRole = writeOperation('groups.setRole', async (ctx, a: { caller: Caller; groupId: number; userId: number; role: GroupRole }) => {
  const { tx, now } = ctx;
  const { group } = await requireMembership(tx, a.caller, a.groupId, GroupRole.OWNER);
  const target = await tx.groups.member(group.id, a.userId);
  if (!target) throw fail(ResultCode.NOT_FOUND, 'not a member');
  const members = await tx.groups.memberIds(group.id);
  const changed: number[] = [a.userId];
  await tx.groups.setRole(group.id, a.userId, a.role);
  if (a.role === GroupRole.OWNER) {
    // Ownership transfer: the old owner stays on as an admin.
    await tx.groups.setRole(group.id, a.caller.userId, GroupRole.ADMIN);
    changed.push(a.caller.userId);
    group.owner_id = a.userId;
  }
  group.updated_at = now;
  await tx.groups.update(group);
  await publishGroup(ctx, group, changed.length === 2 ? members : changed);
  for (const id of changed) await publishMember(ctx, (await tx.groups.member(group.id, id))!, members.filter((m) => m !== id));
});

export const listMembers = readOperation('groups.members', async ({ tx }, a: { caller: Caller; groupId: number; afterUserId: number; limit: number }): Promise<GroupMemberList> => {
  await requireMembership(tx, a.caller, a.groupId);
  const rows = await tx.groups.members(a.groupId, a.afterUserId, a.limit + 1);
  const page = rows.slice(0, a.limit);
  const members = [];
  for (const m of page) members.push(renderMember(m, await tx.users.byId(m.user_id)));
  return create(GroupMemberListSchema, { members, hasMore: rows.length > a.limit });
});

async function dropMembers(ctx: WriteContext, group: GroupRow, targets: readonly GroupMemberRow[]): Promise<void> {
  const { tx, events, now } = ctx;
  for (const t of targets) await tx.groups.removeMember(group.id, t.user_id);
  group.member_count -= targets.length;
  group.updated_at = now;
  await tx.groups.update(group);
  const remaining = await tx.groups.memberIds(group.id);
  const gone = targets.map((t) => t.user_id);
  events.appendToMany(gone, SyncDomain.GROUPS, { case: 'group', value: renderGroup(group, GroupRole.UNSPECIFIED) });
  await publishGroup(ctx, group, remaining);
  for (const t of targets) await publishMember(ctx, { ...t, role: GroupRole.UNSPECIFIED }, remaining);
}

/** Each user gets the group with their own role. */
async function publishGroup({ tx, events }: WriteContext, group: GroupRow, userIds: readonly number[]): Promise<void> {
  for (const id of userIds) {
    const role = ((await tx.groups.member(group.id, id))?.role ?? GroupRole.UNSPECIFIED) as GroupRole;
    events.append(id, SyncDomain.GROUPS, { case: 'group', value: renderGroup(group, role) });
  }
}

async function publishMember({ tx, events }: WriteContext, member: GroupMemberRow, audience: readonly number[]): Promise<void> {
  const value = renderMember(member, await tx.users.byId(member.user_id));
  events.appendToMany(audience, SyncDomain.MEMBERS, { case: 'member', value });
}
