import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ConversationKey, MessageSearchHit } from '../../shared/ipc';
import { useApi } from '../api';
import { errorCode } from '../i18n/errors';
import { useContactsStore } from './contacts';
import { useGroupsStore } from './groups';

export interface HitGroup {
  key: ConversationKey;
  title: string;
  hits: MessageSearchHit[];
}

/** Groups hits by conversation, keeping the order in which conversations first appear (best first). */
export function groupHits(hits: readonly MessageSearchHit[]): HitGroup[] {
  const groups = new Map<ConversationKey, HitGroup>();
  for (const h of hits) {
    let g = groups.get(h.conversationKey);
    if (!g) {
      g = { key: h.conversationKey, title: h.conversationTitle, hits: [] };
      groups.set(h.conversationKey, g);
    }
    g.hits.push(h);
  }
  return Array.from(groups.values());
}

export const useSearchStore = defineStore('search', () => {
  const query = ref('');
  const hits = ref<MessageSearchHit[]>([]);
  const searching = ref(false);
  const searchedFor = ref('');
  const error = ref<string | null>(null);
  let seq = 0;

  const grouped = computed(() => groupHits(hits.value));
  const contacts = computed(() => {
    const q = searchedFor.value.trim().toLowerCase();
    if (!q) return [];
    return useContactsStore().friends.filter((c) => c.nickname.toLowerCase().includes(q) || c.username.toLowerCase().includes(q));
  });
  const groups = computed(() => {
    const q = searchedFor.value.trim().toLowerCase();
    if (!q) return [];
    return useGroupsStore().list.filter((g) => g.name.toLowerCase().includes(q));
  });

  async function run(text: string = query.value): Promise<void> {
    const q = text.trim();
    query.value = text;
    const mine = ++seq;
    if (!q) {
      hits.value = [];
      searchedFor.value = '';
      return;
    }
    searching.value = true;
    error.value = null;
    try {
      const result = await useApi().searchMessages({ query: q, limit: 100 });
      if (mine !== seq) return; // a newer query superseded this one
      hits.value = result;
      searchedFor.value = q;
    } catch (err) {
      if (mine === seq) error.value = errorCode(err);
    } finally {
      if (mine === seq) searching.value = false;
    }
  }

  return { query, hits, searching, searchedFor, error, grouped, contacts, groups, run };
});
