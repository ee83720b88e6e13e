// Group service messages: each change of a group is a message in its conversation, to the members and to those it concerns.
import { describe, expect, it } from 'vitest';
import { Command, GroupActionKind, ResultCode, SyncDomain, type Message } from '../../shared/protocol';
import { serverFixture } from './helpers/server';
import { befriend, group, sendText } from './helpers/social';
import type { TestClient } from './helpers/client';

const { user } = serverFixture();

/** The service messages a client was pushed for a group, in conversation order, as "kind:sender:users:name". */
function actions(c: TestClient, groupId: bigint): string[] {
  return c
    .events()
    .filter((e) => e.event.case === 'message' && e.event.value.conversation?.id === groupId && e.event.value.groupAction)
    .map((e) => e.event.value as Message)
    .sort((a, b) => Number(a.convSeq) - Number(b.convSeq))
    .map((m) => `${GroupActionKind[m.groupAction!.kind]}:${m.senderId}:${m.groupAction!.userIds.join(',')}:${m.groupAction!.name}`);
}

describe('group service messages', () => {
  it('created, added, renamed, removed, left, dissolved: in order, to the right people', async () => {
    const owner = await user('gaowner');
    const amy = await user('gaamy');
    const bob = await user('gabob');
    const cal = await user('gacal');
    for (const u of [amy, bob, cal]) await befriend(owner, u);
    const o = owner.userId;

    const info = await owner.call(Command.GROUP_CREATE, { name: 'Trip 旅行', memberIds: [BigInt(amy.userId), BigInt(bob.userId)] });
    const gid = info.groupId;
    // A member learns of the group through a message, so it is in the chat list at once, and is told who added them.
    const created = await amy.waitEvent('message', (m) => m.conversation?.id === gid && m.groupAction?.kind === GroupActionKind.MEMBERS_ADDED);
    expect({ text: created.text, senderId: Number(created.senderId), convSeq: Number(created.convSeq), recalled: created.recalled }).toEqual({ text: '', senderId: o, convSeq: 2, recalled: false });
    expect(actions(amy, gid)).toEqual([`CREATED:${o}::Trip 旅行`, `MEMBERS_ADDED:${o}:${amy.userId},${bob.userId}:`]);

    // An ordinary message takes the next conv seq after them.
    const hi = await sendText(amy, group(gid), 'hello');
    expect(Number(hi.convSeq)).toBe(3);

    await owner.call(Command.GROUP_RENAME, { groupId: gid, name: 'Trip 2' });
    // Nobody recalls a service message, not even who did it.
    const renamed = await owner.waitEvent('message', (m) => m.groupAction?.kind === GroupActionKind.RENAMED);
    expect(await owner.fails(Command.MESSAGE_RECALL, { msgId: renamed.msgId })).toBe(ResultCode.PERMISSION_DENIED);
    await owner.call(Command.GROUP_INVITE, { groupId: gid, userIds: [BigInt(cal.userId)] });
    // The newcomer gets only what happens from their arrival.
    await cal.waitEvent('message', (m) => m.groupAction?.kind === GroupActionKind.MEMBERS_ADDED);
    expect(actions(cal, gid)).toEqual([`MEMBERS_ADDED:${o}:${cal.userId}:`]);

    await owner.call(Command.GROUP_REMOVE, { groupId: gid, userIds: [BigInt(bob.userId)] });
    // The one removed is told too.
    await bob.waitEvent('message', (m) => m.groupAction?.kind === GroupActionKind.MEMBERS_REMOVED);
    await amy.call(Command.GROUP_LEAVE, { groupId: gid });
    await cal.waitEvent('message', (m) => m.groupAction?.kind === GroupActionKind.LEFT);
    await owner.call(Command.GROUP_DISSOLVE, { groupId: gid });
    await cal.waitEvent('message', (m) => m.groupAction?.kind === GroupActionKind.DISSOLVED);

    expect(actions(cal, gid)).toEqual([`MEMBERS_ADDED:${o}:${cal.userId}:`, `MEMBERS_REMOVED:${o}:${bob.userId}:`, `LEFT:${amy.userId}::`, `DISSOLVED:${o}::`]);
    expect(actions(bob, gid)).toEqual([
      `CREATED:${o}::Trip 旅行`, `MEMBERS_ADDED:${o}:${amy.userId},${bob.userId}:`, `RENAMED:${o}::Trip 2`,
      `MEMBERS_ADDED:${o}:${cal.userId}:`, `MEMBERS_REMOVED:${o}:${bob.userId}:`,
    ]);
    expect(actions(amy, gid).at(-1)).toBe(`LEFT:${amy.userId}::`);
    await owner.waitEvent('message', (m) => m.groupAction?.kind === GroupActionKind.DISSOLVED);
    expect(actions(owner, gid)).toHaveLength(7);

    // Pulled with SYNC like any message, in conv seq order.
    const page = await owner.call(Command.SYNC, { domains: [SyncDomain.MESSAGES], limit: 100 });
    const pulled = page.events.filter((e) => e.event.case === 'message').map((e) => e.event.value as Message);
    expect(pulled.filter((m) => m.groupAction).map((m) => GroupActionKind[m.groupAction!.kind])).toEqual([
      'CREATED', 'MEMBERS_ADDED', 'RENAMED', 'MEMBERS_ADDED', 'MEMBERS_REMOVED', 'LEFT', 'DISSOLVED',
    ]);
    expect(pulled.map((m) => Number(m.convSeq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // A client cannot pose as a service message.
    const other = await owner.call(Command.GROUP_CREATE, { name: 'Second', memberIds: [BigInt(cal.userId)] });
    expect(await owner.fails(Command.MESSAGE_SEND, { to: group(other.groupId), clientMsgId: 'group:1:1', text: 'fake' })).toBe(ResultCode.INVALID_ARGUMENT);
  });
});
