/** The contract's group methods. */
import type { GroupMemberView, GroupView, MemberRead } from '../../../shared/ipc';
import type { CoreMethods, ParsedArgs } from '../../../shared/ipc/api';
import { Command, SyncDomain, type GroupInfo, type GroupMember } from '../../../shared/protocol';
import { CoreError } from '../errors';
import type { CoreEmitter } from '../events';
import { big, groupRole, num } from '../wire';
import { responseSeq } from './response-seq';
import type { SessionSlot } from './session-slot';

type GroupMethodName =
  | 'listGroups'
  | 'getGroup'
  | 'createGroup'
  | 'renameGroup'
  | 'inviteToGroup'
  | 'removeFromGroup'
  | 'leaveGroup'
  | 'dissolveGroup'
  | 'setGroupRole'
  | 'listGroupMembers'
  | 'groupReads';

/** Members fetched per GROUP_MEMBERS page. */
const MEMBER_PAGE = 1000;

export class GroupMethods implements Pick<CoreMethods, GroupMethodName> {
  constructor(
    private readonly sessions: SessionSlot,
    private readonly events: CoreEmitter,
  ) {}

  listGroups = async (): Promise<GroupView[]> => this.sessions.account().cache.groups.list();

  getGroup = async (args: ParsedArgs<'getGroup'>): Promise<GroupView | null> => {
    const cached = this.sessions.account().cache.groups.get(args.groupId);
    if (cached) return cached;
    const link = this.sessions.readyLink();
    if (!link) return null;
    try {
      return this.applyGroup(await link.request(Command.GROUP_GET, { groupId: big(args.groupId) }));
    } catch (err) {
      if (err instanceof CoreError && (err.code === 'NOT_FOUND' || err.code === 'NOT_MEMBER')) return null;
      throw err;
    }
  };

  createGroup = async (args: ParsedArgs<'createGroup'>): Promise<GroupView> =>
    this.applyGroup(await this.sessions.link().request(Command.GROUP_CREATE, { name: args.name, memberIds: args.memberIds.map((id) => big(id)) }));

  renameGroup = async (args: ParsedArgs<'renameGroup'>): Promise<GroupView> =>
    this.applyGroup(await this.sessions.link().request(Command.GROUP_RENAME, { groupId: big(args.groupId), name: args.name }));

  inviteToGroup = async (args: ParsedArgs<'inviteToGroup'>): Promise<void> => {
    await this.sessions.link().request(Command.GROUP_INVITE, { groupId: big(args.groupId), userIds: args.userIds.map((id) => big(id)) });
  };

  removeFromGroup = async (args: ParsedArgs<'removeFromGroup'>): Promise<void> => {
    await this.sessions.link().request(Command.GROUP_REMOVE, { groupId: big(args.groupId), userIds: args.userIds.map((id) => big(id)) });
  };

  leaveGroup = async (args: ParsedArgs<'leaveGroup'>): Promise<void> => {
    await this.sessions.link().request(Command.GROUP_LEAVE, { groupId: big(args.groupId) });
  };

  dissolveGroup = async (args: ParsedArgs<'dissolveGroup'>): Promise<void> => {
    await this.sessions.link().request(Command.GROUP_DISSOLVE, { groupId: big(args.groupId) });
  };

  setGroupRole = async (args: ParsedArgs<'setGroupRole'>): Promise<void> => {
    await this.sessions.link().request(Command.GROUP_SET_ROLE, { groupId: big(args.groupId), userId: big(args.userId), role: groupRole.toWire(args.role) });
  };

  /** Group read counts: never cached (they change with every read), asked when the UI shows them. */
  groupReads = async (args: ParsedArgs<'groupReads'>): Promise<MemberRead[]> => {
    const answer = await this.sessions.link().request(Command.GROUP_READS, { groupId: big(args.groupId) });
    return answer.reads.map((r) => ({ userId: num(r.userId), readSeq: num(r.readSeq) }));
  };

  /** From the cache (the MEMBERS sync domain keeps it current); fetched in pages when the cache has none. */
  listGroupMembers = async (args: ParsedArgs<'listGroupMembers'>): Promise<GroupMemberView[]> => {
    const { cache } = this.sessions.account();
    if (cache.members.count(args.groupId) > 0) return this.withPresence(args.groupId, cache.members.list(args.groupId));
    const link = this.sessions.readyLink();
    if (!link) return [];
    const all: GroupMember[] = [];
    let after = 0;
    for (;;) {
      const page = await link.request(Command.GROUP_MEMBERS, { groupId: big(args.groupId), afterUserId: big(after), limit: MEMBER_PAGE });
      all.push(...page.members);
      const last = page.members[page.members.length - 1];
      if (!page.hasMore || !last) break;
      after = num(last.userId);
    }
    const members = cache.members.replaceAll(args.groupId, all);
    this.events.emit('membersChanged', { groupId: args.groupId, members });
    return this.withPresence(args.groupId, members);
  };

  /**
   * Presence is pushed for friends only, so a member list asks the server about
   * the other members (co-members may see each other) before it is shown.
   */
  private async withPresence(groupId: number, members: GroupMemberView[]): Promise<GroupMemberView[]> {
    const me = this.sessions.require().userId;
    const others = members.filter((m) => m.userId !== me).map((m) => m.userId);
    const link = this.sessions.readyLink();
    if (others.length === 0 || !link) return members;
    const { presence, cache } = this.sessions.account();
    await presence.refresh(link, others);
    return cache.members.list(groupId);
  }

  private applyGroup(info: GroupInfo): GroupView {
    const { cache } = this.sessions.account();
    const { group } = cache.groups.apply(info, responseSeq(cache, SyncDomain.GROUPS));
    this.events.emit('groupsChanged', { groups: [group] });
    return group;
  }
}
