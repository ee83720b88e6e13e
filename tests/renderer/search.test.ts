import { describe, expect, it } from 'vitest';
import type { MessageSearchHit } from '../../shared/ipc';
import SearchSnippet from '../../renderer/components/search/SearchSnippet.vue';
import SearchPane from '../../renderer/components/search/SearchPane.vue';
import { groupHits, useSearchStore } from '../../renderer/stores/search';
import { useMessagesStore } from '../../renderer/stores/messages';
import { useConversationsStore } from '../../renderer/stores/conversations';
import { msg } from './fake-api';
import { flush, mountWith, setupEnv } from './setup';

const hit = (messageId: string, key: MessageSearchHit['conversationKey'], title: string): MessageSearchHit => ({
  messageId, conversationKey: key, conversationTitle: title, senderId: 2, sentAt: 1_700_000_000_000,
  snippet: [{ text: '我们明天', hit: false }, { text: '一起吃饭', hit: true }, { text: '<b>吧</b>', hit: false }],
});

describe('search', () => {
  it('renders snippet hits as <mark> and everything as text, never HTML', () => {
    const env = setupEnv();
    const w = mountWith(env, SearchSnippet, { props: { parts: hit('a', 'u:2', 'Bob').snippet } });
    expect(w.findAll('mark').map((m) => m.text())).toEqual(['一起吃饭']);
    expect(w.find('b').exists()).toBe(false);
    expect(w.text()).toContain('<b>吧</b>');
  });

  it('groups hits by conversation in order of first appearance', () => {
    const groups = groupHits([hit('1', 'u:2', 'Bob'), hit('2', 'g:7', 'Team'), hit('3', 'u:2', 'Bob')]);
    expect(groups.map((g) => [g.key, g.hits.map((h) => h.messageId)])).toEqual([['u:2', ['1', '3']], ['g:7', ['2']]]);
  });

  it('drops the answer of a superseded query', async () => {
    let release: (v: MessageSearchHit[]) => void = () => undefined;
    const env = setupEnv({ searchMessages: ({ query }) => (query === 'slow' ? new Promise((r) => (release = r)) : [hit('x', 'u:2', 'Bob')]) });
    void env;
    const store = useSearchStore();
    const slow = store.run('slow');
    await store.run('fast');
    release([hit('old', 'u:3', 'Old')]);
    await slow;
    expect(store.hits.map((h) => h.messageId)).toEqual(['x']);
    expect(store.searchedFor).toBe('fast');
  });

  it('opens a hit in context with an "around" anchor', async () => {
    const env = setupEnv({
      searchMessages: () => [hit('m25', 'u:2', 'Bob')],
      loadMessages: () => ({ messages: [msg({ convSeq: 24 }), msg({ convSeq: 25 }), msg({ convSeq: 26 })], hasMoreBefore: true, hasMoreAfter: true }),
    });
    const w = mountWith(env, SearchPane);
    await useSearchStore().run('吃饭');
    await flush();
    const groups = w.findAll('[data-test="search-group"]');
    expect(groups).toHaveLength(1);
    await w.get('[data-test="search-hit"]').trigger('click');
    await flush();
    expect(env.fake.calls.loadMessages).toHaveBeenCalledWith({ key: 'u:2', anchor: { messageId: 'm25', direction: 'around' }, limit: 50 });
    expect(useConversationsStore().activeKey).toBe('u:2');
    expect(useMessagesStore().get('u:2').focusId).toBe('m25');
  });
});
