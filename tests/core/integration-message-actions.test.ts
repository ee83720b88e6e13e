/** Edit, react, delete for me and forward between real cores and a real server over loopback, with a second device. */
import { describe, expect, it } from 'vitest';
import type { ConversationKey } from '../../shared/ipc';
import type { ClientCore } from '../../electron/core/index';
import { befriend, coresAgainstServer, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';

const { make } = coresAgainstServer('actions');

async function acked(core: ClientCore, key: ConversationKey, id: string) {
  return waitFor(async () => (await core.loadMessages({ key })).messages.find((m) => m.id === id && m.serverId !== undefined), 'acked');
}

describe('message actions between cores', () => {
  it('edit reaches the peer and its search; reactions toggle on every device; delete for me follows to my other device only; forward sends copies', async () => {
    const amy = await make('amy');
    const ben = await make('ben');
    const amyId = (await amy.register({ username: 'amy', password: PASSWORD })).profile.userId;
    const benId = (await ben.register({ username: 'ben', password: PASSWORD })).profile.userId;
    await waitOnline(amy);
    await waitOnline(ben);
    await befriend(amy, ben);
    // Ben's second device.
    const ben2 = await make('ben2');
    await ben2.login({ username: 'ben', password: PASSWORD });
    await waitOnline(ben2);

    const toBen = `u:${benId}` as const;
    const toAmy = `u:${amyId}` as const;
    const sent = await amy.sendMessage({ key: toBen, text: 'see you at noon' });
    const mine = await acked(amy, toBen, sent.id);

    // Edit: applied here at once, at the peer and its search index through sync.
    await amy.editMessage({ messageId: sent.id, text: 'see you at one' });
    expect((await amy.loadMessages({ key: toBen })).messages.find((m) => m.id === sent.id)).toMatchObject({ text: 'see you at one', editedAt: expect.any(Number) });
    const atBen = await waitFor(async () => (await ben.loadMessages({ key: toAmy })).messages.find((m) => m.serverId === mine.serverId && m.text === 'see you at one'), 'edit at ben');
    expect(atBen.editedAt).toBeGreaterThan(0);
    expect((await ben.searchMessages({ query: 'one' })).map((h) => h.messageId)).toContain(atBen.id);
    expect(await ben.searchMessages({ query: 'noon' })).toEqual([]);
    // Not ben's to edit; the server's answer is the error.
    await expect(ben.editMessage({ messageId: atBen.id, text: 'mine' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Reactions: ben reacts on one device, both of his devices and amy see it; setting it twice is one reaction.
    const benChanges = record(ben2, 'messagesChanged');
    await ben.reactToMessage({ messageId: atBen.id, emoji: '👍', on: true });
    await ben.reactToMessage({ messageId: atBen.id, emoji: '👍', on: true });
    const reacted = await waitFor(async () => (await amy.loadMessages({ key: toBen })).messages.find((m) => m.id === sent.id && m.reactions), 'reaction at amy');
    expect(reacted.reactions).toEqual([{ emoji: '👍', userIds: [benId], mine: false }]);
    await waitFor(async () => benChanges.flatMap((c) => c.messages).find((m) => m.serverId === mine.serverId && m.reactions?.[0]?.mine), 'reaction on ben2 marked mine');
    await amy.reactToMessage({ messageId: sent.id, emoji: '👍', on: true });
    await waitFor(async () => (await ben.loadMessages({ key: toAmy })).messages.find((m) => m.id === atBen.id && m.reactions?.[0]?.userIds.length === 2), 'two reactions');
    await ben.reactToMessage({ messageId: atBen.id, emoji: '👍', on: false });
    const after = await waitFor(async () => (await amy.loadMessages({ key: toBen })).messages.find((m) => m.id === sent.id && m.reactions?.[0]?.userIds.length === 1), 'one left');
    expect(after.reactions).toEqual([{ emoji: '👍', userIds: [amyId], mine: true }]);

    // Delete for me on ben's first device: gone on his second, still at amy.
    const ben2Id = await waitFor(async () => (await ben2.loadMessages({ key: toAmy })).messages.find((m) => m.serverId === mine.serverId)?.id, 'on ben2');
    const removed = record(ben2, 'messagesRemoved');
    await ben.deleteMessage({ messageId: atBen.id });
    expect((await ben.loadMessages({ key: toAmy })).messages.some((m) => m.id === atBen.id)).toBe(false);
    await waitFor(async () => removed.find((r) => r.ids.includes(ben2Id)), 'removed on ben2');
    expect((await ben2.loadMessages({ key: toAmy })).messages.some((m) => m.serverId === mine.serverId)).toBe(false);
    expect((await amy.loadMessages({ key: toBen })).messages.some((m) => m.id === sent.id)).toBe(true);

    // Forward two messages to a conversation: new messages, in order, from the forwarder.
    const second = await amy.sendMessage({ key: toBen, text: 'and bring the map' });
    await acked(amy, toBen, second.id);
    const carl = await make('carl');
    const carlId = (await carl.register({ username: 'carl', password: PASSWORD })).profile.userId;
    await waitOnline(carl);
    await befriend(amy, carl);
    const fwd = await amy.forwardMessages({ messageIds: [sent.id, second.id], to: [`u:${carlId}`] });
    expect(fwd.ids).toHaveLength(2);
    const atCarl = await waitFor(async () => {
      const page = await carl.loadMessages({ key: toAmy });
      return page.messages.length === 2 ? page.messages : undefined;
    }, 'forwarded at carl');
    expect(atCarl.map((m) => m.text)).toEqual(['see you at one', 'and bring the map']);
    await expect(amy.forwardMessages({ messageIds: ['no-such-id'], to: [`u:${carlId}`] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
