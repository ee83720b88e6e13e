import { describe, expect, it } from 'vitest';
import { activeMention, filterCandidates, insertMention, mentionedIds, type MentionCandidate } from '../../renderer/composables/mentions';
import { shortcutFor } from '../../renderer/composables/useShortcuts';

const members: MentionCandidate[] = [
  { userId: 0, name: 'Everyone', username: 'all' },
  { userId: 2, name: 'Bob', username: 'bob' },
  { userId: 3, name: '王小明', username: 'xiaoming' },
  { userId: 4, name: 'Bobby Tables', username: 'robert' },
];

describe('mentions', () => {
  it('detects the mention being typed at the caret only', () => {
    expect(activeMention('hi @bo', 6)).toEqual({ start: 3, query: 'bo' });
    expect(activeMention('@', 1)).toEqual({ start: 0, query: '' });
    expect(activeMention('mail a@b', 8)).toBeNull();
    expect(activeMention('hi @bob there', 13)).toBeNull();
  });

  it('filters by name or username, prefix matches first', () => {
    expect(filterCandidates(members, 'bob').map((c) => c.userId)).toEqual([2, 4]);
    expect(filterCandidates(members, '王').map((c) => c.userId)).toEqual([3]);
    expect(filterCandidates(members, 'xiao').map((c) => c.userId)).toEqual([3]);
    expect(filterCandidates(members, '')[0]!.userId).toBe(0);
  });

  it('inserts the chosen name and tracks which mentions survive edits', () => {
    const r = insertMention('hi @bo!', 3, 6, 'Bob');
    expect(r).toEqual({ text: 'hi @Bob !', caret: 8 });
    const picked = new Map([[2, 'Bob'], [3, '王小明']]);
    expect(mentionedIds('hi @Bob and @王小明', picked)).toEqual([2, 3]);
    expect(mentionedIds('hi @Bo and @王小明', picked)).toEqual([3]);
  });
});

describe('keyboard shortcuts', () => {
  const key = (k: string, mods: Partial<Record<'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey', boolean>> = {}) =>
    shortcutFor({ key: k, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
  it('maps conversation navigation, search and composer focus', () => {
    expect(key('ArrowDown', { altKey: true })).toEqual({ kind: 'conversation', step: 1 });
    expect(key('ArrowUp', { altKey: true })).toEqual({ kind: 'conversation', step: -1 });
    expect(key('Tab', { ctrlKey: true })).toEqual({ kind: 'conversation', step: 1 });
    expect(key('Tab', { ctrlKey: true, shiftKey: true })).toEqual({ kind: 'conversation', step: -1 });
    expect(key('k', { ctrlKey: true })).toEqual({ kind: 'search' });
    expect(key('k', { metaKey: true })).toEqual({ kind: 'search' });
    expect(key('l', { ctrlKey: true })).toEqual({ kind: 'composer' });
    expect(key('ArrowDown')).toBeNull();
    expect(key('k')).toBeNull();
  });
});
