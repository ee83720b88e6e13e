import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { ConversationKey, ConversationView } from '../../shared/ipc';
import { parseConversationKey } from '../../shared/ipc';
import { useApi } from '../api';

/** Pinned first, then most recent activity; ties broken by key so the order is stable. */
export function compareConversations(a: ConversationView, b: ConversationView): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  if (a.updatedAt !== b.updatedAt) return b.updatedAt - a.updatedAt;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** A small first page paints the list sooner; the rest follows in big pages. */
const FIRST_PAGE = 100;
const PAGE = 500;

export const useConversationsStore = defineStore('conversations', () => {
  // A plain Map behind a shallow ref: 10,000 conversations stay cheap (no deep proxies).
  const byKey = shallowRef(new Map<ConversationKey, ConversationView>());
  const activeKey = ref<ConversationKey | null>(null);
  /**
   * The badge total, derived from the list itself so it is right from the
   * first page after every load or reload (the core's `unreadTotal` event
   * only tells of changes). Same rule as the core: unmuted conversations'
   * unread, a conversation marked unread counting one.
   */
  const unreadTotal = computed(() => {
    let total = 0;
    for (const c of byKey.value.values()) if (!c.muted) total += c.unread > 0 ? c.unread : c.markedUnread ? 1 : 0;
    return total;
  });
  /** Unread count of the active conversation at the moment it was opened (for the "new messages" marker). */
  const unreadAtOpen = ref(0);
  const loaded = ref(false);
  /** The open conversation is on screen (not behind contacts/settings, window not hidden): new messages count as read. */
  const visible = ref(false);
  let draftTimers = new Map<ConversationKey, ReturnType<typeof setTimeout>>();

  const sorted = computed(() => Array.from(byKey.value.values()).sort(compareConversations));
  const active = computed(() => (activeKey.value ? (byKey.value.get(activeKey.value) ?? null) : null));

  function apply(list: readonly ConversationView[]): void {
    if (list.length === 0) return;
    const map = byKey.value;
    for (const c of list) map.set(c.key, c);
    triggerRef(byKey);
  }

  /** Changes a loaded conversation locally (optimistic; the core confirms with conversationsChanged). */
  function patch(key: ConversationKey, change: Partial<ConversationView>): void {
    const c = byKey.value.get(key);
    if (c) apply([{ ...c, ...change }]);
  }

  function remove(key: ConversationKey): void {
    if (byKey.value.delete(key)) triggerRef(byKey);
    if (activeKey.value === key) close();
  }

  /** Loads the first page right away (the list is usable), the rest in the background. */
  async function load(): Promise<void> {
    const api = useApi();
    let cursor: string | undefined;
    do {
      const page = await api.listConversations(cursor ? { limit: PAGE, cursor } : { limit: FIRST_PAGE });
      apply(page.items);
      loaded.value = true;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Opens a conversation; a friend without history gets a local placeholder until the first message. */
  async function open(key: ConversationKey, placeholder?: { title: string; avatar: string }): Promise<void> {
    unreadAtOpen.value = byKey.value.get(key)?.unread ?? 0;
    activeKey.value = key;
    void useApi().setLastConversation({ key }).catch(() => undefined);
    if (!byKey.value.has(key)) {
      const fetched = await useApi().getConversation({ key }).catch(() => null);
      if (fetched) apply([fetched]);
      else if (placeholder) {
        const { type, id } = parseConversationKey(key);
        apply([{ key, type, targetId: id, title: placeholder.title, avatar: placeholder.avatar, unread: 0, mentioned: false, draft: '', pinned: false, muted: false, markedUnread: false, updatedAt: 0 }]);
      }
    }
    await markRead(key);
  }

  function close(): void {
    activeKey.value = null;
    void useApi().setLastConversation({ key: null }).catch(() => undefined);
  }

  /** Opens the conversation that was open when the app was last used, if it still exists. */
  async function restoreLast(): Promise<void> {
    if (activeKey.value) return;
    const key = await useApi().getLastConversation({}).catch(() => null);
    if (key && !activeKey.value && byKey.value.has(key)) await open(key);
  }

  async function markRead(key: ConversationKey): Promise<void> {
    const c = byKey.value.get(key);
    if (!c || (c.unread === 0 && !c.mentioned && !c.markedUnread)) return;
    patch(key, { unread: 0, mentioned: false, markedUnread: false });
    await useApi().markRead({ key }).catch(() => undefined);
  }

  async function markUnread(key: ConversationKey): Promise<void> {
    const c = byKey.value.get(key);
    if (!c || c.unread > 0 || c.markedUnread) return;
    // Marking the open one unread means the user is done with it for now: close it, or it would be read again at once.
    if (activeKey.value === key) close();
    patch(key, { markedUnread: true });
    await useApi().markUnread({ key });
  }

  async function deleteConversation(key: ConversationKey): Promise<void> {
    await useApi().deleteConversation({ key });
    remove(key);
  }

  /** Keeps the draft locally at once and saves it to the core after a pause in typing. */
  function setDraft(key: ConversationKey, text: string, delayMs = 400): void {
    if (byKey.value.get(key)?.draft !== text) patch(key, { draft: text });
    const prev = draftTimers.get(key);
    if (prev) clearTimeout(prev);
    draftTimers.set(key, setTimeout(() => {
      draftTimers.delete(key);
      void useApi().setDraft({ key, text }).catch(() => undefined);
    }, delayMs));
  }

  /** Saves pending drafts now (conversation switch, window close). */
  function flushDrafts(): void {
    const pending = draftTimers;
    draftTimers = new Map();
    for (const [key, t] of pending) {
      clearTimeout(t);
      void useApi().setDraft({ key, text: byKey.value.get(key)?.draft ?? '' }).catch(() => undefined);
    }
  }

  async function setPinned(key: ConversationKey, pinned: boolean): Promise<void> {
    patch(key, { pinned });
    await useApi().setPinned({ key, pinned });
  }

  /** Without `durationMs`, until unmuted. */
  async function setMuted(key: ConversationKey, muted: boolean, durationMs?: number): Promise<void> {
    patch(key, { muted });
    await useApi().setMuted({ key, muted, ...(muted && durationMs !== undefined ? { durationMs } : {}) });
  }

  /** The conversation `step` places away from the open one in the visible order (keyboard navigation). */
  function neighbour(step: 1 | -1): ConversationKey | null {
    const list = sorted.value;
    if (list.length === 0) return null;
    const at = activeKey.value ? list.findIndex((c) => c.key === activeKey.value) : -1;
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
    return list[next]!.key;
  }

  function isSeen(): boolean {
    return visible.value && (typeof document === 'undefined' || document.visibilityState !== 'hidden');
  }

  /** Called by the conversation view as it appears/disappears, and when the window is shown again. */
  function setVisible(on: boolean): void {
    visible.value = on;
    if (on && activeKey.value && isSeen()) void markRead(activeKey.value);
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onConversationsChanged(({ conversations }) => {
        // An update for the open conversation must not resurrect the unread count we cleared.
        const open = activeKey.value;
        apply(conversations);
        const c = open ? byKey.value.get(open) : undefined;
        if (c && c.unread > 0 && isSeen()) void markRead(c.key);
      }),
      api.onConversationRemoved(({ key }) => remove(key)),
    ];
    return () => offs.forEach((off) => off());
  }

  function reset(): void {
    byKey.value = new Map();
    activeKey.value = null;
    loaded.value = false;
  }

  return {
    byKey, activeKey, unreadTotal, unreadAtOpen, loaded, visible, setVisible, sorted, active,
    apply, remove, load, open, close, restoreLast, markRead, markUnread, deleteConversation, setDraft, flushDrafts, setPinned, setMuted,
    neighbour, bind, reset,
  };
});
