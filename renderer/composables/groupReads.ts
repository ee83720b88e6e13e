/**
 * Group read counts for the open group conversation. The server does not
 * push group reads (one read in a big group would write an event for every
 * member), so they are asked for (GROUP_READS) when the conversation opens,
 * when the connection returns, when the window gets focus, when a message
 * arrives in it, and every 15 s while it is open and visible.
 */
import { computed, onBeforeUnmount, watch } from 'vue';
import { parseConversationKey, type ConversationKey, type MessageView } from '../../shared/ipc';
import { useConnectionStore, useGroupsStore } from '../stores';

/** Who of the other members has read a message of mine, and who has not yet. */
export interface MessageReads {
  read: readonly number[];
  notYet: readonly number[];
}

const REFRESH_MS = 15_000;

export function useGroupReads(key: () => ConversationKey, group: () => boolean, messages: () => readonly MessageView[]) {
  const groups = useGroupsStore();
  const connection = useConnectionStore();
  const groupId = computed(() => (group() ? parseConversationKey(key()).id : null));

  function refresh(): void {
    const id = groupId.value;
    if (id !== null && connection.online) groups.loadReads(id).catch(() => undefined);
  }
  watch(groupId, refresh, { immediate: true });
  watch(() => connection.online, (online) => { if (online) refresh(); });
  watch(() => messages().at(-1)?.id, refresh);
  const timer = setInterval(() => { if (globalThis.document?.visibilityState !== 'hidden') refresh(); }, REFRESH_MS);
  globalThis.addEventListener?.('focus', refresh);
  onBeforeUnmount(() => {
    clearInterval(timer);
    globalThis.removeEventListener?.('focus', refresh);
  });

  /**
   * For each of my sent messages: who read it (read position at or past its
   * seq). An entry is reused while its readers are unchanged, so rows whose
   * count did not move are not re-rendered.
   */
  let previous = new Map<string, MessageReads>();
  const byMessage = computed(() => {
    const id = groupId.value;
    const seqs = id === null ? undefined : groups.reads.get(id);
    const next = new Map<string, MessageReads>();
    if (!seqs) return (previous = next);
    for (const m of messages()) {
      if (!m.outgoing || m.convSeq === undefined || m.recalled || m.groupAction) continue;
      const read: number[] = [];
      const notYet: number[] = [];
      for (const [userId, seq] of seqs) (seq >= m.convSeq ? read : notYet).push(userId);
      const old = previous.get(m.id);
      next.set(m.id, old && old.read.length === read.length && old.notYet.length === notYet.length && old.read.every((u, i) => u === read[i]) ? old : { read, notYet });
    }
    return (previous = next);
  });

  return { byMessage, refresh };
}
