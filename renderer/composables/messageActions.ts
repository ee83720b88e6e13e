/** Which actions a message offers, and copying text: small rules kept out of the components so they are tested. */
import type { MessageView } from '../../shared/ipc';

/** The server's default windows (server/config.ts); the server has the last word and says so with an error. */
export const EDIT_WINDOW_MS = 48 * 3600_000;
export const RECALL_WINDOW_MS = 2 * 60_000;

export function canEdit(m: MessageView, now = Date.now()): boolean {
  return m.outgoing && m.serverId !== undefined && !m.recalled && m.text.length > 0 && now - m.sentAt < EDIT_WINDOW_MS;
}

export function canRecall(m: MessageView, now = Date.now()): boolean {
  return m.outgoing && m.serverId !== undefined && !m.recalled && now - m.sentAt < RECALL_WINDOW_MS;
}

/** Puts text on the clipboard; false when the page may not (no secure context, permission refused). */
export async function copyText(text: string): Promise<boolean> {
  if (!text) return false;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
