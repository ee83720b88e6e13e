/**
 * Pure helpers that keep one conversation's loaded window of messages in
 * order while history pages and live pushes arrive in any order.
 *
 * Order: acknowledged messages by their position in the conversation
 * (convSeq); messages the server has not acknowledged yet (pending, failed)
 * after all of them, by local send time. Applying the same message twice
 * (a push after a page, a status change) replaces it in place: no duplicates.
 */
import type { MessageView } from '../../shared/ipc';

export function compareMessages(a: MessageView, b: MessageView): number {
  const sa = a.convSeq ?? Number.POSITIVE_INFINITY;
  const sb = b.convSeq ?? Number.POSITIVE_INFINITY;
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (a.sentAt !== b.sentAt) return a.sentAt - b.sentAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface MergeOptions {
  /**
   * The window reaches the newest message of the conversation, so a message
   * newer than everything loaded belongs at its end. When false (the user
   * jumped into older history), only messages inside the loaded range are added.
   */
  atLatest: boolean;
  /**
   * Older messages than the first loaded one exist and are not loaded (they
   * come with the next history page). A change to one of them (an edit, a
   * file evicted from the cache) is not glued onto the top of the window,
   * which would hide the gap between them.
   */
  hasMoreBefore?: boolean;
}

function beforeFirst(list: readonly MessageView[], m: MessageView): boolean {
  const first = list.find((x) => x.convSeq !== undefined)?.convSeq;
  return m.convSeq !== undefined && first !== undefined && m.convSeq < first;
}

function inRange(list: readonly MessageView[], m: MessageView): boolean {
  if (m.convSeq === undefined) return false;
  const first = list.find((x) => x.convSeq !== undefined)?.convSeq;
  let last: number | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const s = list[i]!.convSeq;
    if (s !== undefined) { last = s; break; }
  }
  return first !== undefined && last !== undefined && m.convSeq >= first && m.convSeq <= last;
}

/** Returns a new array with `incoming` merged into `existing` (which must be sorted). */
export function mergeMessages(existing: readonly MessageView[], incoming: readonly MessageView[], opts: MergeOptions): MessageView[] {
  if (incoming.length === 0) return existing.slice();
  const out = existing.slice();
  const index = new Map<string, number>();
  out.forEach((m, i) => index.set(m.id, i));
  let needSort = false;
  for (const m of incoming) {
    const at = index.get(m.id);
    if (at !== undefined) {
      const old = out[at]!;
      out[at] = m;
      if (old.convSeq !== m.convSeq || old.sentAt !== m.sentAt) needSort = true;
      continue;
    }
    if (!opts.atLatest && !inRange(out, m)) continue;
    if (opts.hasMoreBefore && beforeFirst(out, m)) continue;
    const prev = out[out.length - 1];
    if (prev && compareMessages(prev, m) > 0) needSort = true;
    index.set(m.id, out.length);
    out.push(m);
  }
  if (needSort) out.sort(compareMessages);
  return out;
}

/** Prepends/appends a history page (already ascending) without duplicating what is loaded. */
export function mergePage(existing: readonly MessageView[], page: readonly MessageView[]): MessageView[] {
  // Fast path for scrolling back: an older page that ends before the first loaded message is a plain prepend.
  const last = page[page.length - 1];
  const first = existing[0];
  if (last && first && compareMessages(last, first) < 0) return page.concat(existing);
  return mergeMessages(existing, page, { atLatest: true });
}
