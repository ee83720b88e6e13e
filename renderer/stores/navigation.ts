import { defineStore } from 'pinia';
import { ref } from 'vue';

/** Which pane the sidebar shows. UI-only state: no API calls. */
export type Pane = 'chats' | 'contacts' | 'groups' | 'search' | 'settings';

export const useNavigationStore = defineStore('navigation', () => {
  const pane = ref<Pane>('chats');
  /** Bumped to ask the composer (or the search box) to take focus. */
  const composerFocus = ref(0);
  const searchFocus = ref(0);

  function show(p: Pane): void {
    pane.value = p;
    if (p === 'search') searchFocus.value++;
  }

  function focusComposer(): void {
    composerFocus.value++;
  }

  /** The groups pane opens with its creation form (the chat list's "New chat" → "New group"). */
  let newGroupAsked = false;
  function newGroup(): void {
    newGroupAsked = true;
    show('groups');
  }
  function takeNewGroup(): boolean {
    const asked = newGroupAsked;
    newGroupAsked = false;
    return asked;
  }

  return { pane, composerFocus, searchFocus, show, focusComposer, newGroup, takeNewGroup };
});
