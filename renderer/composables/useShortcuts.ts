/**
 * Global keyboard shortcuts: Alt+Up/Down and Ctrl+Tab/Ctrl+Shift+Tab move
 * between conversations, Ctrl+K (Cmd+K) opens search, Ctrl+L or Escape on
 * the list focuses the composer.
 */
import { onBeforeUnmount, onMounted } from 'vue';
import { useConversationsStore } from '../stores/conversations';
import { useNavigationStore } from '../stores/navigation';

export type ShortcutAction = { kind: 'conversation'; step: 1 | -1 } | { kind: 'search' } | { kind: 'composer' } | null;

export function shortcutFor(e: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>): ShortcutAction {
  const mod = e.ctrlKey || e.metaKey;
  if (e.altKey && !mod && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) return { kind: 'conversation', step: e.key === 'ArrowUp' ? -1 : 1 };
  if (e.ctrlKey && e.key === 'Tab') return { kind: 'conversation', step: e.shiftKey ? -1 : 1 };
  if (mod && !e.altKey && (e.key === 'k' || e.key === 'K')) return { kind: 'search' };
  if (mod && !e.altKey && (e.key === 'l' || e.key === 'L')) return { kind: 'composer' };
  return null;
}

export function useShortcuts(): void {
  const conversations = useConversationsStore();
  const nav = useNavigationStore();
  function onKey(e: KeyboardEvent): void {
    const action = shortcutFor(e);
    if (!action) return;
    e.preventDefault();
    switch (action.kind) {
      case 'conversation': {
        const key = conversations.neighbour(action.step);
        if (key) {
          conversations.flushDrafts();
          nav.show('chats');
          void conversations.open(key);
        }
        break;
      }
      case 'search':
        nav.show('search');
        break;
      case 'composer':
        nav.focusComposer();
        break;
    }
  }
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
