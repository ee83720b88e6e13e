/** Edits, reactions and "deleted for me" applied to a real cache file: newest wins, twice changes nothing, search follows. */
import { describe, expect, it } from 'vitest';
import type { WireSyncEvent } from '../../../electron/core/cache';
import { cacheOpener, ME, messageEvent, ref, SyncDomain, wireMessage } from './fixtures';

const open = cacheOpener();

const edited = (seq: number, msgId: number, text: string, editedAt: number, mentions: number[] = []): WireSyncEvent => ({
  seq,
  domain: SyncDomain.MESSAGES,
  event: { case: 'edited', value: { conversation: ref('g:7'), msgId, convSeq: 1, text, mentions: mentions.map((userId) => ({ userId })), editedAt } },
});
const reactions = (seq: number, msgId: number, version: number, list: Array<[string, number[]]>): WireSyncEvent => ({
  seq,
  domain: SyncDomain.MESSAGES,
  event: { case: 'reactions', value: { conversation: ref('g:7'), msgId, version, reactions: list.map(([emoji, userIds]) => ({ emoji, userIds })) } },
});
const hidden = (seq: number, msgId: number): WireSyncEvent => ({ seq, domain: SyncDomain.MESSAGES, event: { case: 'hidden', value: { conversation: ref('g:7'), msgId } } });

describe('edits', () => {
  it('replace the text and the search entry; an older edit after a newer one changes nothing', () => {
    const cache = open();
    const m = wireMessage('g:7', 1, { msgId: 500, senderId: 3, text: 'the quick brown fox' });
    cache.applySyncEvents([messageEvent(1, m)]);
    const first = cache.applySyncEvents([edited(2, 500, 'a slow green turtle', 10)]);
    expect(first.messages).toEqual([expect.objectContaining({ id: m.clientMsgId, text: 'a slow green turtle', editedAt: 10 })]);
    expect(first.conversations.map((c) => c.key)).toEqual(['g:7']); // the preview may have changed
    expect(cache.conversations.get('g:7')?.lastMessage?.preview).toBe('a slow green turtle');
    expect(cache.search.search({ query: 'turtle', limit: 10 }).map((h) => h.messageId)).toEqual([m.clientMsgId]);
    expect(cache.search.search({ query: 'fox', limit: 10 })).toEqual([]);
    // Replayed, and an older one: nothing changes.
    expect(cache.applySyncEvents([edited(2, 500, 'a slow green turtle', 10), edited(3, 500, 'stale', 9)]).messages).toEqual([]);
    expect(cache.messages.get(m.clientMsgId)?.text).toBe('a slow green turtle');
  });

  it('a message synced after its edits keeps its current text (the edit events are older)', () => {
    const cache = open();
    const m = wireMessage('g:7', 1, { msgId: 501, senderId: 3, text: 'v3', editedAt: 30 });
    cache.applySyncEvents([messageEvent(1, m), edited(2, 501, 'v2', 20), edited(3, 501, 'v3', 30)]);
    expect(cache.messages.get(m.clientMsgId)).toMatchObject({ text: 'v3', editedAt: 30 });
  });

  it('a new mention of me marks the conversation; an edit of a recalled or unknown message is ignored', () => {
    const cache = open();
    const m = wireMessage('g:7', 1, { msgId: 502, senderId: 3, text: 'hi' });
    cache.applySyncEvents([messageEvent(1, m)]);
    expect(cache.conversations.get('g:7')?.mentioned).toBe(false);
    cache.applySyncEvents([edited(2, 502, 'hi @me', 5, [ME])]);
    expect(cache.messages.get(m.clientMsgId)?.mentions).toEqual([ME]);
    expect(cache.applySyncEvents([edited(3, 9999, 'who?', 5)]).messages).toEqual([]);
    cache.messages.applyRecall({ conversation: ref('g:7'), msgId: 502, convSeq: 1, recalledBy: 3 });
    expect(cache.applySyncEvents([edited(4, 502, 'after recall', 6)]).messages).toEqual([]);
    expect(cache.messages.get(m.clientMsgId)).toMatchObject({ text: '', recalled: true });
    expect(cache.messages.get(m.clientMsgId)?.editedAt).toBeUndefined();
  });
});

describe('reactions', () => {
  it('keep the newest snapshot, mark mine, and vanish when the last one is cleared', () => {
    const cache = open();
    const m = wireMessage('g:7', 1, { msgId: 600, senderId: 3 });
    cache.applySyncEvents([messageEvent(1, m)]);
    const r = cache.applySyncEvents([reactions(2, 600, 2, [['👍', [3, ME]], ['🎉', [4]]])]);
    expect(r.messages[0]?.reactions).toEqual([
      { emoji: '👍', userIds: [3, ME], mine: true },
      { emoji: '🎉', userIds: [4], mine: false },
    ]);
    // Older snapshot (version 1) after the newer: ignored; the same again: ignored.
    expect(cache.applySyncEvents([reactions(3, 600, 1, [['😢', [3]]]), reactions(2, 600, 2, [['👍', [3, ME]], ['🎉', [4]]])]).messages).toEqual([]);
    expect(cache.messages.page('g:7', { limit: 5 }).messages[0]?.reactions?.map((x) => x.emoji)).toEqual(['👍', '🎉']);
    cache.applySyncEvents([reactions(4, 600, 3, [])]);
    expect(cache.messages.get(m.clientMsgId)?.reactions).toBeUndefined();
  });
});

describe('deleted for me on another device', () => {
  it('removes the message, its search entry and its unread count; unknown ones are ignored', () => {
    const cache = open();
    const a = wireMessage('g:7', 1, { msgId: 700, senderId: 3, text: 'keep this' });
    const b = wireMessage('g:7', 2, { msgId: 701, senderId: 3, text: 'hide this' });
    cache.applySyncEvents([messageEvent(1, a), messageEvent(2, b)]);
    expect(cache.conversations.get('g:7')?.unread).toBe(2);
    const r = cache.applySyncEvents([hidden(3, 701), hidden(4, 9999)]);
    expect(r.removed).toEqual([{ key: 'g:7', ids: [b.clientMsgId] }]);
    expect(r.messages).toEqual([]);
    expect(cache.messages.page('g:7', { limit: 5 }).messages.map((m) => m.id)).toEqual([a.clientMsgId]);
    expect(cache.conversations.get('g:7')).toMatchObject({ unread: 1, lastMessage: expect.objectContaining({ preview: 'keep this' }) });
    expect(cache.search.search({ query: 'hide', limit: 10 })).toEqual([]);
  });
});
