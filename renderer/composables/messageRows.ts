/** Turns a window of messages into list rows: day separators, the "new messages" marker, and messages. */
import type { MessageView } from '../../shared/ipc';
import { startOfDay } from './useFormat';

export type MessageRow =
  | { kind: 'day'; id: string; at: number }
  | { kind: 'unread'; id: string }
  | { kind: 'message'; id: string; message: MessageView; showSender: boolean };

export function buildRows(messages: readonly MessageView[], opts: { firstUnreadId?: string | null; group: boolean }): MessageRow[] {
  const rows: MessageRow[] = [];
  let lastDay = -1;
  let lastSender = -1;
  for (const m of messages) {
    const day = startOfDay(m.sentAt);
    let newRun = false;
    if (day !== lastDay) {
      rows.push({ kind: 'day', id: `day:${day}`, at: m.sentAt });
      lastDay = day;
      newRun = true;
    }
    if (opts.firstUnreadId && m.id === opts.firstUnreadId) {
      rows.push({ kind: 'unread', id: 'unread-marker' });
      newRun = true;
    }
    rows.push({ kind: 'message', id: m.id, message: m, showSender: opts.group && !m.outgoing && (newRun || m.senderId !== lastSender) });
    // A service line ("Alice added Bob") breaks a run: the next bubble names its sender again.
    lastSender = m.groupAction ? -1 : m.senderId;
  }
  return rows;
}
