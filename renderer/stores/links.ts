/**
 * What the shell asks the UI to open: a conversation (a notification was
 * clicked, a tern://chat link) or a user (a tern://user link). Asked before
 * sign-in (the link started the app), it waits and opens after.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ConversationKey } from '../../shared/ipc';
import { useApi } from '../api';
import { useConversationsStore } from './conversations';
import { useNavigationStore } from './navigation';
import { useSessionStore } from './session';

export type OpenTarget = { kind: 'chat'; key: ConversationKey } | { kind: 'user'; username: string };

export const useLinksStore = defineStore('links', () => {
  const pending = ref<OpenTarget | null>(null);
  /** The user the contacts pane should show; the pane takes it (and clears it). */
  const requestedUser = ref<string | null>(null);

  function open(target: OpenTarget): void {
    if (useSessionStore().phase !== 'signed-in') {
      pending.value = target;
      return;
    }
    if (target.kind === 'chat') {
      const conversations = useConversationsStore();
      conversations.flushDrafts();
      useNavigationStore().show('chats');
      void conversations.open(target.key);
    } else {
      useNavigationStore().show('contacts');
      requestedUser.value = target.username;
    }
  }

  /** After sign-in: opens what was asked meanwhile. */
  function openPending(): void {
    const target = pending.value;
    pending.value = null;
    if (target) open(target);
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onOpenConversation(({ key }) => open({ kind: 'chat', key })),
      api.onOpenUser(({ username }) => open({ kind: 'user', username })),
    ];
    return () => offs.forEach((off) => off());
  }

  return { pending, requestedUser, open, openPending, bind };
});
