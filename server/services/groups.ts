/** Groups and their members: checks the request, runs the operation (server/operations/groups.ts, which has the rules). */
import {
  GroupRole,
  ResultCode,
  type GroupCreateRequest,
  type GroupInfo,
  type GroupMemberList,
  type GroupReads,
  type GroupMembersQuery,
  type GroupMembersRequest,
  type GroupRenameRequest,
  type GroupSetRoleRequest,
} from '../../shared/protocol';
import { createGroup, dissolveGroup, getGroup, groupReads, inviteMembers, leaveGroup, listMembers, removeMembers, renameGroup, setMemberRole } from '../operations/groups';
import type { Caller, ServiceDeps } from './deps';
import { fail, invalid } from './errors';
import { requireId, requireIds, requireText, toNumber } from './validate';

export class GroupService {
  constructor(private readonly deps: ServiceDeps) {}

  create(caller: Caller, req: GroupCreateRequest): Promise<GroupInfo> {
    const { config } = this.deps;
    const name = requireText('name', req.name.trim(), 1, 64);
    const memberIds = requireIds('member_ids', req.memberIds, config.maxGroupSize).filter((id) => id !== caller.userId);
    if (memberIds.length + 1 > config.maxGroupSize) throw fail(ResultCode.GROUP_FULL, `a group holds at most ${config.maxGroupSize} members`);
    return this.deps.run.write(createGroup, { caller, name, memberIds });
  }

  get(caller: Caller, groupId: bigint): Promise<GroupInfo> {
    return this.deps.run.read(getGroup, { caller, groupId: requireId('group_id', groupId) });
  }

  /** How far each other member has read: the group read counts, on demand. */
  reads(caller: Caller, groupId: bigint): Promise<GroupReads> {
    return this.deps.run.read(groupReads, { caller, groupId: requireId('group_id', groupId) });
  }

  rename(caller: Caller, req: GroupRenameRequest): Promise<GroupInfo> {
    const name = requireText('name', req.name.trim(), 1, 64);
    return this.deps.run.write(renameGroup, { caller, groupId: requireId('group_id', req.groupId), name });
  }

  invite(caller: Caller, req: GroupMembersRequest): Promise<void> {
    const { maxGroupSize } = this.deps.config;
    const userIds = requireIds('user_ids', req.userIds, maxGroupSize);
    if (userIds.length === 0) throw invalid('user_ids', 'user_ids is empty');
    return this.deps.run.write(inviteMembers, { caller, groupId: requireId('group_id', req.groupId), userIds, maxGroupSize });
  }

  remove(caller: Caller, req: GroupMembersRequest): Promise<void> {
    const userIds = requireIds('user_ids', req.userIds, this.deps.config.maxGroupSize);
    if (userIds.length === 0) throw invalid('user_ids', 'user_ids is empty');
    return this.deps.run.write(removeMembers, { caller, groupId: requireId('group_id', req.groupId), userIds });
  }

  leave(caller: Caller, groupId: bigint): Promise<void> {
    return this.deps.run.write(leaveGroup, { caller, groupId: requireId('group_id', groupId) });
  }

  dissolve(caller: Caller, groupId: bigint): Promise<void> {
    return this.deps.run.write(dissolveGroup, { caller, groupId: requireId('group_id', groupId) });
  }

  setRole(caller: Caller, req: GroupSetRoleRequest): Promise<void> {
    const userId = requireId('user_id', req.userId);
    if (req.role !== GroupRole.MEMBER && req.role !== GroupRole.ADMIN && req.role !== GroupRole.OWNER) throw invalid('role', 'role must be MEMBER, ADMIN or OWNER');
    if (userId === caller.userId) throw invalid('user_id', 'cannot change your own role');
    return this.deps.run.write(setMemberRole, { caller, groupId: requireId('group_id', req.groupId), userId, role: req.role });
  }

  members(caller: Caller, req: GroupMembersQuery): Promise<GroupMemberList> {
    const { config } = this.deps;
    const limit = req.limit === 0 ? config.syncDefaultLimit : Math.min(req.limit, config.syncMaxLimit);
    const groupId = requireId('group_id', req.groupId);
    return this.deps.run.read(listMembers, { caller, groupId, afterUserId: toNumber('after_user_id', req.afterUserId), limit });
  }
}
