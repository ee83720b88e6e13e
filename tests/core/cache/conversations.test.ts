import { describe, expect, it } from 'vitest';
import { GroupActionKind } from '../../../shared/protocol';
import { cacheOpener, tick, wireMessage, wireProfile } from './fixtures';

const open = cacheOpener();

describe('conversations', () => {
  it('are listed pinned first, then newest first, in pages with an opaque cursor', () => {
    const cache = open();
    for (let i = 1; i <= 7; i++) cache.messages.applyServerMessage(wireMessage(`u:${i + 1}`, 1, { sentAt: 1000 * i }));
    cache.conversations.setPinned('u:3', true);
    const keys: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = cache.conversations.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      keys.push(...page.items.map((c) => c.key));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(keys).toEqual(['u:3', 'u:8', 'u:7', 'u:6', 'u:5', 'u:4', 'u:2']);
    expect(cache.conversations.list({ limit: 3, cursor: 'garbage' }).items.map((c) => c.key)).toEqual(['u:3', 'u:8', 'u:7']);
  });

  it('carry the title and avatar from the profile or group, and the last message', () => {
    const cache = open();
    cache.profiles.upsert({ ...wireProfile(2, 'Alice'), avatar: 'a.png' });
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { text: '  hello\n\nthere  ' }));
    expect(cache.conversations.get('u:2')).toMatchObject({
      type: 'direct',
      targetId: 2,
      title: 'Alice',
      avatar: 'a.png',
      lastMessage: { preview: 'hello there', senderId: 2, status: 'sent', recalled: false },
    });
    cache.groups.apply({ groupId: 7, name: 'Team', ownerId: 1, memberCount: 3, myRole: 3, dissolved: false, createdAt: 1, updatedAt: 1 });
    expect(cache.conversations.ensure('g:7')).toMatchObject({ type: 'group', title: 'Team', unread: 0, draft: '' });
    expect(cache.conversations.ensure('u:99').title).toBe(''); // unknown profile: the UI fetches it lazily
  });

  it('a draft moves the conversation up; an unchanged draft does not', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { sentAt: 5000 }));
    cache.messages.applyServerMessage(wireMessage('u:3', 1, { sentAt: 6000 }));
    const t = tick(1_000_000);
    expect(cache.conversations.setDraft('u:2', 'half written')).toMatchObject({ draft: 'half written', updatedAt: t });
    tick();
    expect(cache.conversations.setDraft('u:2', 'half written').updatedAt).toBe(t);
    expect(cache.conversations.list({ limit: 1 }).items[0]?.key).toBe('u:2');
  });

  it('older history does not move updatedAt back', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 10, { sentAt: 10_000 }));
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { sentAt: 1_000 }));
    expect(cache.conversations.get('u:2')).toMatchObject({ updatedAt: 10_000, lastMessage: { at: 10_000 } });
  });

  it('remove deletes the conversation, its messages and their search entries', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1, { text: 'zebra crossing' }));
    expect(cache.conversations.remove('u:2')).toBe(true);
    expect(cache.conversations.get('u:2')).toBeUndefined();
    expect(cache.messages.page('u:2', { limit: 5 }).messages).toEqual([]);
    expect(cache.search.search({ query: 'zebra', limit: 5 })).toEqual([]);
  });

  it('a timed mute ends by itself: muted, out of the badge total, then back', () => {
    const cache = open();
    for (let s = 1; s <= 2; s++) cache.messages.applyServerMessage(wireMessage('u:2', s));
    const start = tick();
    const muted = cache.conversations.setMuted('u:2', start + 3_600_000);
    expect(muted).toMatchObject({ muted: true, mutedUntil: start + 3_600_000 });
    expect(cache.conversations.unreadTotal()).toBe(0);
    expect(cache.conversations.nextMuteEnd()).toBe(start + 3_600_000);
    tick(3_600_000 - 1);
    expect(cache.conversations.get('u:2')?.muted).toBe(true);
    expect(cache.conversations.mutesEndedBetween(start, start + 3_600_000 - 1)).toEqual([]);
    tick(1);
    expect(cache.conversations.get('u:2')).toMatchObject({ muted: false });
    expect(cache.conversations.get('u:2')?.mutedUntil).toBeUndefined();
    expect(cache.conversations.unreadTotal()).toBe(2);
    expect(cache.conversations.nextMuteEnd()).toBeUndefined();
    expect(cache.conversations.mutesEndedBetween(start, start + 3_600_000).map((c) => c.key)).toEqual(['u:2']);
    // Muted with no end: no end time is shown, and no timer is needed.
    expect(cache.conversations.setMuted('u:2', 'forever')).toMatchObject({ muted: true });
    expect(cache.conversations.get('u:2')?.mutedUntil).toBeUndefined();
    expect(cache.conversations.nextMuteEnd()).toBeUndefined();
    expect(cache.conversations.setMuted('u:2', 0).muted).toBe(false);
  });

  it('mark as unread counts one in the total until the conversation is read', () => {
    const cache = open();
    cache.messages.applyServerMessage(wireMessage('u:2', 1));
    cache.messages.applyServerMessage(wireMessage('u:3', 1));
    cache.conversations.markRead('u:2');
    expect(cache.conversations.unreadTotal()).toBe(1);
    // Something unread already: nothing to mark.
    expect(cache.conversations.markUnread('u:3').changed).toBe(false);
    const marked = cache.conversations.markUnread('u:2');
    expect(marked).toMatchObject({ changed: true, conversation: { markedUnread: true, unread: 0 } });
    expect(cache.conversations.markUnread('u:2').changed).toBe(false);
    expect(cache.conversations.unreadTotal()).toBe(2);
    // A muted conversation marked unread is not in the total either.
    cache.conversations.setMuted('u:2', 'forever');
    expect(cache.conversations.unreadTotal()).toBe(1);
    cache.conversations.setMuted('u:2', 0);
    const read = cache.conversations.markRead('u:2');
    expect(read).toMatchObject({ changed: true, conversation: { markedUnread: false } });
    expect(cache.conversations.unreadTotal()).toBe(1);
  });

  it('keep a group service message with its action, as the last message too; no search entry, an unknown action is plain', () => {
    const cache = open();
    const action = { kind: GroupActionKind.MEMBERS_ADDED, userIds: [1, 9], name: '' };
    const applied = cache.messages.applyServerMessage(wireMessage('g:7', 1, { senderId: 5, text: '', groupAction: action as never }));
    expect(applied.message.groupAction).toEqual({ kind: 'membersAdded', userIds: [1, 9], name: '' });
    expect(cache.conversations.get('g:7')?.lastMessage?.groupAction).toEqual({ kind: 'membersAdded', userIds: [1, 9], name: '' });
    expect(cache.messages.page('g:7', { limit: 5 }).messages[0]?.groupAction?.kind).toBe('membersAdded');
    // Told it was added: it counts as unread, like Telegram's "X added you".
    expect(cache.conversations.get('g:7')?.unread).toBe(1);
    const unknown = cache.messages.applyServerMessage(wireMessage('g:7', 2, { senderId: 5, text: '', groupAction: { kind: 99, userIds: [], name: '' } as never }));
    expect(unknown.message.groupAction).toBeUndefined();
    expect(cache.search.search({ query: 'added', limit: 5 })).toEqual([]);
  });
});
