import { describe, expect, it } from 'vitest';
import { canEdit, canRecall, EDIT_WINDOW_MS, RECALL_WINDOW_MS } from '../../renderer/composables/messageActions';
import { EMOJI_CATEGORIES, QUICK_REACTIONS, searchEmoji } from '../../renderer/composables/emojiData';
import { msg } from './fake-api';

describe('which actions a message offers', () => {
  const now = 1_700_000_000_000 + 60_000 * 1000;
  const mine = (over = {}) => msg({ convSeq: 1, outgoing: true, text: 'x', sentAt: now - 1000, ...over });
  it('edit: my acked, unrecalled text messages within the window', () => {
    expect(canEdit(mine(), now)).toBe(true);
    expect(canEdit(mine({ outgoing: false }), now)).toBe(false);
    expect(canEdit(mine({ recalled: true }), now)).toBe(false);
    expect(canEdit({ ...mine(), serverId: undefined }, now)).toBe(false);
    expect(canEdit(mine({ sentAt: now - EDIT_WINDOW_MS - 1 }), now)).toBe(false);
  });
  it('recall: my acked messages for two minutes', () => {
    expect(canRecall(mine(), now)).toBe(true);
    expect(canRecall(mine({ sentAt: now - RECALL_WINDOW_MS - 1 }), now)).toBe(false);
    expect(canRecall(mine({ outgoing: false }), now)).toBe(false);
  });
});

describe('emoji data', () => {
  it('has no duplicates within a category, offers the quick reactions, and searches every term', () => {
    for (const c of EMOJI_CATEGORIES) expect(new Set(c.emoji.map((e) => e.emoji)).size, c.id).toBe(c.emoji.length);
    const all = new Set(EMOJI_CATEGORIES.flatMap((c) => c.emoji.map((e) => e.emoji)));
    for (const q of QUICK_REACTIONS) expect(all.has(q), q).toBe(true);
    expect(searchEmoji('heart red').map((e) => e.emoji)).toEqual(['❤️']);
    expect(searchEmoji('')).toEqual([]);
    expect(searchEmoji('nothing-like-this')).toEqual([]);
  });
});
