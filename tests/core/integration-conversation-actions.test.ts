/** The conversation actions of the chat list (mute for a while, mark unread, delete, last open) through a real core and server. */
import { describe, expect, it } from 'vitest';
import { parseCall } from '../../shared/ipc/api';
import { befriend, coresAgainstServer, PASSWORD, record, waitFor, waitOnline } from './helpers/clients';

const { make } = coresAgainstServer('conv-actions');

describe('conversation actions', () => {
  it('mute for an hour, mark unread, remember the open one, delete', async () => {
    const alice = await make('alice');
    const bob = await make('bob');
    const a = await alice.register({ username: 'alice', password: PASSWORD });
    await bob.register({ username: 'bob', password: PASSWORD });
    await waitOnline(alice);
    await waitOnline(bob);
    await befriend(alice, bob);
    const key = `u:${a.profile.userId}` as const;
    const totals = record(bob, 'unreadTotal');
    const changes = record(bob, 'conversationsChanged');

    const bKey = `u:${(await bob.getSession({}))!.profile.userId}` as const;
    await alice.sendMessage({ key: bKey, text: 'one' });
    await alice.sendMessage({ key: bKey, text: 'two' });
    await waitFor(async () => (await bob.getConversation({ key }))?.unread === 2, 'bob has 2 unread');
    await waitFor(async () => totals.at(-1)?.total === 2, 'total 2');

    const before = Date.now();
    await bob.setMuted({ key, muted: true, durationMs: 3_600_000 });
    const muted = (await bob.getConversation({ key }))!;
    expect(muted.muted).toBe(true);
    expect(muted.mutedUntil).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(muted.mutedUntil).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(totals.at(-1)?.total).toBe(0);
    expect(changes.at(-1)?.conversations[0]).toMatchObject({ key, muted: true });
    // The contract refuses a duration under a minute or over a year (the shells validate every call with it).
    expect(parseCall('setMuted', { key, muted: true, durationMs: 5 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(parseCall('setMuted', { key, muted: true, durationMs: 400 * 86_400_000 })).toMatchObject({ ok: false });
    await bob.setMuted({ key, muted: false });
    expect(totals.at(-1)?.total).toBe(2);

    await bob.markRead({ key });
    expect(totals.at(-1)?.total).toBe(0);
    await bob.markUnread({ key });
    expect(await bob.getConversation({ key })).toMatchObject({ unread: 0, markedUnread: true });
    expect(totals.at(-1)?.total).toBe(1);
    await bob.markRead({ key });
    expect(await bob.getConversation({ key })).toMatchObject({ markedUnread: false });

    expect(await bob.getLastConversation({})).toBeNull();
    await bob.setLastConversation({ key });
    expect(await bob.getLastConversation({})).toBe(key);

    const removed = record(bob, 'conversationRemoved');
    await bob.deleteConversation({ key });
    expect(removed).toEqual([{ key }]);
    expect(await bob.getConversation({ key })).toBeNull();
    expect(await bob.getLastConversation({})).toBeNull();
    await expect(bob.deleteConversation({ key })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A new message brings it back.
    await alice.sendMessage({ key: bKey, text: 'three' });
    await waitFor(async () => (await bob.getConversation({ key }))?.lastMessage?.preview === 'three', 'back with the next message');
  });
});
