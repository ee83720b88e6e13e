import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../../electron/core/cache';
import { buildSnippet } from '../../../electron/core/cache/snippet';
import { ftsExpression, parseQuery, segmentForIndex } from '../../../electron/core/cache/segment';
import { freshCache, ref, wireMessage } from './fixtures';

const corpus: [`u:${number}` | `g:${number}`, string][] = [
  ['u:2', '今天天气很好，我们去公园散步吧'],
  ['u:2', '我在北京大学读书'],
  ['g:7', '北京的冬天很冷'],
  ['g:7', '请看这个链接 https://www.example.com/path/to?q=1 很有用'],
  ['u:3', 'Let us meet for lunch tomorrow'],
  ['u:3', 'The meeting was moved to Friday'],
  ['u:3', 'Café au lait, s’il vous plaît'],
  ['g:7', '用iPhone拍的照片'],
  ['u:2', '天'],
  ['u:2', 'this one will be recalled: unicorn'],
];

let cache: Cache;
let done: () => void;
const ids: string[] = [];

beforeAll(() => {
  const c = freshCache();
  cache = c.cache;
  done = c.done;
  cache.profiles.upsert({ userId: 2, username: 'bob', nickname: 'Bob', avatar: '', signature: '', updatedAt: 1 });
  cache.transaction(() => {
    corpus.forEach(([key, text], i) => {
      ids.push(cache.messages.applyServerMessage(wireMessage(key, i + 1, { text, msgId: 5000 + i, sentAt: 1000 + i })).message.id);
    });
  });
  cache.messages.applyRecall({ conversation: ref('u:2'), msgId: 5009, convSeq: 10, recalledBy: 2 });
});
afterAll(() => done());

const texts = (query: string, key?: `u:${number}` | `g:${number}`): string[] =>
  cache.search.search({ query, limit: 20, ...(key ? { key } : {}) }).map((h) => cache.messages.get(h.messageId)!.text);

describe('segmentation', () => {
  it('rewrites CJK runs as bigrams plus a final unigram and leaves other text alone', () => {
    expect(segmentForIndex('我们去吃饭').trim()).toBe('我们 们去 去吃 吃饭 饭');
    expect(segmentForIndex('用iPhone拍照').replace(/\s+/g, ' ').trim()).toBe('用 iPhone 拍照 照');
    expect(ftsExpression(parseQuery('北京大学'))).toBe('body : ("北京 京大 大学")');
    expect(ftsExpression(parseQuery('天'))).toBe('body : ("天"*)');
    expect(ftsExpression(parseQuery('example.com 北京'))).toBe('body : ("example.com"* AND "北京")');
    expect(ftsExpression(parseQuery('  ... '))).toBeUndefined();
    expect(ftsExpression(parseQuery('"quoted"'))).toBe('body : ("quoted"*)');
  });
});

describe('search', () => {
  it('finds Chinese phrases of 2, 3 and 4+ characters', () => {
    expect(texts('北京').sort()).toEqual(['北京的冬天很冷', '我在北京大学读书'].sort());
    expect(texts('北京大')).toEqual(['我在北京大学读书']);
    expect(texts('北京大学读书')).toEqual(['我在北京大学读书']);
    expect(texts('大学北京')).toEqual([]); // a phrase, not a bag of characters
    expect(texts('天气很好')).toEqual(['今天天气很好，我们去公园散步吧']);
  });

  it('finds a single Chinese character anywhere in a run, including its last character', () => {
    expect(texts('冷')).toEqual(['北京的冬天很冷']);
    const tian = texts('天');
    expect(tian).toHaveLength(3);
    expect(tian).toContain('天');
    expect(texts('拍')).toEqual(['用iPhone拍的照片']);
  });

  it('finds English words, prefixes, case- and accent-insensitively', () => {
    expect(texts('lunch')).toEqual(['Let us meet for lunch tomorrow']);
    expect(texts('MEET').sort()).toEqual(['Let us meet for lunch tomorrow', 'The meeting was moved to Friday'].sort());
    expect(texts('fri')).toEqual(['The meeting was moved to Friday']);
    expect(texts('cafe')).toEqual(['Café au lait, s’il vous plaît']);
    expect(texts('iphone')).toEqual(['用iPhone拍的照片']);
    expect(texts('meet lunch')).toEqual(['Let us meet for lunch tomorrow']);
  });

  it('finds words inside URLs', () => {
    expect(texts('example')).toEqual(['请看这个链接 https://www.example.com/path/to?q=1 很有用']);
    expect(texts('example.com')).toHaveLength(1);
    expect(texts('path')).toHaveLength(1);
  });

  it('can be restricted to a conversation, and returns the conversation for jumping', () => {
    expect(texts('天', 'g:7')).toEqual(['北京的冬天很冷']);
    const hit = cache.search.search({ query: '北京大学', limit: 5 })[0]!;
    expect(hit).toMatchObject({ messageId: ids[1], conversationKey: 'u:2', conversationTitle: 'Bob', senderId: 2, sentAt: 1001 });
    const page = cache.messages.page(hit.conversationKey, { limit: 3, anchor: { messageId: hit.messageId, direction: 'around' } });
    expect(page.messages.map((m) => m.id)).toContain(hit.messageId);
  });

  it('recalled messages leave the index', () => {
    expect(texts('unicorn')).toEqual([]);
    expect(texts('recalled')).toEqual([]);
  });

  it('returns snippet parts with the hits marked (text, never HTML)', () => {
    const [hit] = cache.search.search({ query: '北京大学', limit: 1 });
    expect(hit!.snippet).toEqual([
      { text: '我在', hit: false },
      { text: '北京大学', hit: true },
      { text: '读书', hit: false },
    ]);
    const [url] = cache.search.search({ query: 'example', limit: 1 });
    expect(url!.snippet.filter((p) => p.hit).map((p) => p.text)).toEqual(['example']);
    const [cafe] = cache.search.search({ query: 'cafe', limit: 1 });
    expect(cafe!.snippet[0]).toEqual({ text: 'Café', hit: true });
  });

  it('ranks better matches first and breaks ties newest first', () => {
    const c = freshCache();
    try {
      c.cache.transaction(() => {
        c.cache.messages.applyServerMessage(wireMessage('u:2', 1, { text: 'apple', sentAt: 1 }));
        c.cache.messages.applyServerMessage(wireMessage('u:2', 2, { text: 'apple banana cherry date elderberry fig grape', sentAt: 2 }));
        c.cache.messages.applyServerMessage(wireMessage('u:2', 3, { text: 'apple', sentAt: 3 }));
      });
      const hits = c.cache.search.search({ query: 'apple', limit: 10 });
      expect(hits.map((h) => h.sentAt)).toEqual([3, 1, 2]);
    } finally {
      c.done();
    }
  });

  it('index maintenance merges segments until done, and rebuild gives the same answers', () => {
    const c = freshCache();
    try {
      for (let b = 0; b < 30; b++) {
        c.cache.transaction(() => {
          for (let i = 0; i < 20; i++) c.cache.messages.applyServerMessage(wireMessage('u:2', b * 20 + i + 1, { text: `batch ${b} 第${i}条消息 item${i}` }));
        });
      }
      const before = c.cache.search.search({ query: '消息 item1', limit: 500 }).map((h) => h.messageId).sort();
      expect(before.length).toBe(30 * 11); // item1, item10..item19
      let slices = 0;
      while (c.cache.search.maintain(50)) slices++;
      expect(slices).toBeGreaterThan(0);
      expect(c.cache.search.maintain(50)).toBe(false);
      expect(c.cache.search.search({ query: '消息 item1', limit: 500 }).map((h) => h.messageId).sort()).toEqual(before);
      c.cache.search.rebuild();
      expect(c.cache.search.search({ query: '消息 item1', limit: 500 }).map((h) => h.messageId).sort()).toEqual(before);
    } finally {
      c.done();
    }
  });

  it('returns nothing for queries without searchable characters and survives FTS syntax', () => {
    expect(texts('!!!')).toEqual([]);
    expect(texts('AND OR NOT')).toEqual([]);
    expect(texts('"')).toEqual([]);
    expect(texts('a* (b) c:d')).toEqual([]);
  });
});

describe('snippets', () => {
  it('cuts long texts around the first hit with ellipses', () => {
    const long = `${'前'.repeat(100)}关键字${'后'.repeat(100)}`;
    const parts = buildSnippet(long, parseQuery('关键字'), { maxLength: 40, lead: 10 });
    expect(parts[0]).toEqual({ text: `…${'前'.repeat(10)}`, hit: false });
    expect(parts[1]).toEqual({ text: '关键字', hit: true });
    expect(parts[parts.length - 1]!.text.endsWith('…')).toBe(true);
    expect(parts.map((p) => p.text).join('').length).toBe(42);
  });

  it('matches English at word starts only', () => {
    expect(buildSnippet('unmeet meeting', parseQuery('meet'))).toEqual([
      { text: 'unmeet ', hit: false },
      { text: 'meet', hit: true },
      { text: 'ing', hit: false },
    ]);
  });
});
