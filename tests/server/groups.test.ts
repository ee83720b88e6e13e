// Groups over loopback: roles and permission checks, membership events, group chat with mentions, recall by admins, size limit.
import { describe, expect, it } from 'vitest';
import { Command, GroupRole, ResultCode, SyncDomain } from '../../shared/protocol';
import { serverFixture } from './helpers/server';
import { befriend, group, sendText } from './helpers/social';

const { user } = serverFixture({ maxGroupSize: 4 });

describe('groups', () => {
  it('create, chat with mentions, roles, remove, leave, dissolve', async () => {
    const owner = await user('owner');
    const amy = await user('amy');
    const bob = await user('bob');
    const cal = await user('cal');
    const dee = await user('dee');
    for (const u of [amy, bob, cal, dee]) await befriend(owner, u);
    const outsider = await user('outsider');

    // Members must be friends of the creator.
    expect(await owner.fails(Command.GROUP_CREATE, { name: 'g', memberIds: [BigInt(outsider.userId)] })).toBe(ResultCode.NOT_FRIENDS);
    expect(await owner.fails(Command.GROUP_CREATE, { name: '', memberIds: [] })).toBe(ResultCode.INVALID_ARGUMENT);
    const info = await owner.call(Command.GROUP_CREATE, { name: 'Team 团队', memberIds: [BigInt(amy.userId), BigInt(bob.userId)] });
    expect(info.memberCount).toBe(3);
    expect(info.myRole).toBe(GroupRole.OWNER);
    const amyGroup = await amy.waitEvent('group', (g) => g.groupId === info.groupId);
    expect(amyGroup.myRole).toBe(GroupRole.MEMBER);
    const gid = info.groupId;

    // Messages reach every member; outsiders are refused.
    const ack = await sendText(amy, group(gid), 'hi @bob', { mentions: [BigInt(bob.userId)] });
    const got = await bob.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(got.mentions.map((m) => Number(m.userId))).toEqual([bob.userId]);
    expect(got.conversation!.id).toBe(gid);
    await owner.waitEvent('message', (m) => m.msgId === ack.msgId);
    expect(await outsider.fails(Command.MESSAGE_SEND, { to: group(gid), clientMsgId: 'o1', text: 'let me in' })).toBe(ResultCode.NOT_MEMBER);
    expect(await outsider.fails(Command.GROUP_MEMBERS, { groupId: gid })).toBe(ResultCode.NOT_MEMBER);
    // @all is for owners and admins; mentions must be members.
    expect(await amy.fails(Command.MESSAGE_SEND, { to: group(gid), clientMsgId: 'a1', text: '@all', mentions: [{ userId: 0n }] })).toBe(ResultCode.PERMISSION_DENIED);
    expect(await amy.fails(Command.MESSAGE_SEND, { to: group(gid), clientMsgId: 'a2', text: '@x', mentions: [{ userId: BigInt(outsider.userId) }] })).toBe(ResultCode.INVALID_ARGUMENT);
    const meeting = await sendText(owner, group(gid), '@all meeting', { mentions: [0n] });

    // Read counts on demand: every other member's read position, 0 before any read; outsiders are refused.
    const readsOf = async (c: typeof owner) =>
      Object.fromEntries((await c.call(Command.GROUP_READS, { groupId: gid })).reads.map((r) => [Number(r.userId), Number(r.readSeq)]));
    expect(await readsOf(owner)).toEqual({ [amy.userId]: 0, [bob.userId]: 0 });
    await amy.call(Command.MARK_READ, { conversation: group(gid), upToConvSeq: meeting.convSeq });
    expect(await readsOf(owner)).toEqual({ [amy.userId]: Number(meeting.convSeq), [bob.userId]: 0 });
    expect(await readsOf(bob)).toEqual({ [amy.userId]: Number(meeting.convSeq), [owner.userId]: 0 });
    expect(await outsider.fails(Command.GROUP_READS, { groupId: gid })).toBe(ResultCode.NOT_MEMBER);

    // Members cannot rename, invite or remove; admins can.
    expect(await amy.fails(Command.GROUP_RENAME, { groupId: gid, name: 'mine' })).toBe(ResultCode.PERMISSION_DENIED);
    expect(await amy.fails(Command.GROUP_REMOVE, { groupId: gid, userIds: [BigInt(bob.userId)] })).toBe(ResultCode.PERMISSION_DENIED);
    expect(await amy.fails(Command.GROUP_SET_ROLE, { groupId: gid, userId: BigInt(bob.userId), role: GroupRole.ADMIN })).toBe(ResultCode.PERMISSION_DENIED);
    await owner.call(Command.GROUP_SET_ROLE, { groupId: gid, userId: BigInt(amy.userId), role: GroupRole.ADMIN });
    const promoted = await bob.waitEvent('member', (m) => Number(m.userId) === amy.userId && m.role === GroupRole.ADMIN);
    expect(promoted.profile!.username).toBe('amy');
    const renamed = await amy.call(Command.GROUP_RENAME, { groupId: gid, name: 'Renamed' });
    expect(renamed.name).toBe('Renamed');
    await bob.waitEvent('group', (g) => g.name === 'Renamed');

    // Admin may recall a member's message; a member may not recall an admin's.
    const bobMsg = await sendText(bob, group(gid), 'oops');
    expect(await bob.fails(Command.MESSAGE_RECALL, { msgId: ack.msgId })).toBe(ResultCode.PERMISSION_DENIED);
    await amy.call(Command.MESSAGE_RECALL, { msgId: bobMsg.msgId });
    await bob.waitEvent('recalled', (r) => r.msgId === bobMsg.msgId);

    // Size limit: 3 members + cal = 4 (the limit), then dee is one too many.
    await owner.call(Command.GROUP_INVITE, { groupId: gid, userIds: [BigInt(cal.userId)] });
    expect(await owner.fails(Command.GROUP_INVITE, { groupId: gid, userIds: [BigInt(cal.userId)] })).toBe(ResultCode.ALREADY_MEMBER);
    expect(await owner.fails(Command.GROUP_INVITE, { groupId: gid, userIds: [BigInt(dee.userId)] })).toBe(ResultCode.GROUP_FULL);
    const joined = await cal.waitEvent('group', (g) => g.groupId === gid);
    expect(joined.memberCount).toBe(4);
    const joinedEvent = await bob.waitEvent('member', (m) => Number(m.userId) === cal.userId);
    expect(joinedEvent.role).toBe(GroupRole.MEMBER);

    // The roster, paged.
    const page1 = await cal.call(Command.GROUP_MEMBERS, { groupId: gid, limit: 2 });
    expect(page1.members.length).toBe(2);
    expect(page1.hasMore).toBe(true);
    const page2 = await cal.call(Command.GROUP_MEMBERS, { groupId: gid, afterUserId: page1.members[1]!.userId, limit: 2 });
    expect(page2.hasMore).toBe(false);
    expect([...page1.members, ...page2.members].map((m) => m.role).sort()).toEqual([GroupRole.MEMBER, GroupRole.MEMBER, GroupRole.ADMIN, GroupRole.OWNER].sort());

    // An admin cannot remove another admin or the owner; the owner can remove anyone.
    expect(await amy.fails(Command.GROUP_REMOVE, { groupId: gid, userIds: [BigInt(owner.userId)] })).toBe(ResultCode.PERMISSION_DENIED);
    await amy.call(Command.GROUP_REMOVE, { groupId: gid, userIds: [BigInt(cal.userId)] });
    const out = await cal.waitEvent('group', (g) => g.groupId === gid && g.myRole === GroupRole.UNSPECIFIED);
    expect(out.memberCount).toBe(3);
    expect(await cal.fails(Command.MESSAGE_SEND, { to: group(gid), clientMsgId: 'c1', text: 'still here?' })).toBe(ResultCode.NOT_MEMBER);

    // The owner cannot leave; a member can.
    expect(await owner.fails(Command.GROUP_LEAVE, { groupId: gid })).toBe(ResultCode.PERMISSION_DENIED);
    await bob.call(Command.GROUP_LEAVE, { groupId: gid });
    await amy.waitEvent('member', (m) => Number(m.userId) === bob.userId && m.role === GroupRole.UNSPECIFIED);

    // Ownership transfer, then dissolve by the new owner.
    await owner.call(Command.GROUP_SET_ROLE, { groupId: gid, userId: BigInt(amy.userId), role: GroupRole.OWNER });
    const amyNow = await amy.call(Command.GROUP_GET, { groupId: gid });
    expect(amyNow.myRole).toBe(GroupRole.OWNER);
    expect(Number(amyNow.ownerId)).toBe(amy.userId);
    expect(await owner.fails(Command.GROUP_DISSOLVE, { groupId: gid })).toBe(ResultCode.PERMISSION_DENIED);
    await amy.call(Command.GROUP_DISSOLVE, { groupId: gid });
    const dissolved = await owner.waitEvent('group', (g) => g.groupId === gid && g.dissolved);
    expect(dissolved.myRole).toBe(GroupRole.UNSPECIFIED);
    expect(await owner.fails(Command.MESSAGE_SEND, { to: group(gid), clientMsgId: 'd1', text: 'anyone?' })).toBe(ResultCode.GROUP_DISSOLVED);
    expect(await owner.fails(Command.GROUP_GET, { groupId: 999_999n })).toBe(ResultCode.NOT_FOUND);

    // Group history is in the members' sync.
    const synced = await bob.call(Command.SYNC, { cursor: 0n, domains: [SyncDomain.GROUPS, SyncDomain.MEMBERS] });
    expect(synced.events.length).toBeGreaterThan(0);
    expect(synced.events.every((e) => e.domain === SyncDomain.GROUPS || e.domain === SyncDomain.MEMBERS)).toBe(true);
  });
});
