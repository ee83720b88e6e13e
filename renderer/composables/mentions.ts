/**
 * @mention logic for the composer, kept free of DOM so it is unit-tested:
 * detect the "@que" being typed at the caret, filter members, insert the
 * chosen name, and work out which picked members are still mentioned.
 */
export interface MentionCandidate {
  userId: number; // 0 = everyone
  name: string;
  username: string;
}

/** The mention being typed just before the caret, if any. */
export function activeMention(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)@([^\s@]{0,32})$/.exec(before);
  if (!m) return null;
  return { start: before.length - m[2]!.length - 1, query: m[2]! };
}

export function filterCandidates(list: readonly MentionCandidate[], query: string, limit = 8): MentionCandidate[] {
  const q = query.toLowerCase();
  const scored = list
    .map((c) => {
      const n = c.name.toLowerCase();
      const u = c.username.toLowerCase();
      const score = !q ? 1 : n.startsWith(q) || u.startsWith(q) ? 0 : n.includes(q) || u.includes(q) ? 1 : -1;
      return { c, score };
    })
    .filter((x) => x.score >= 0);
  scored.sort((a, b) => a.score - b.score || Number(b.c.userId === 0) - Number(a.c.userId === 0));
  return scored.slice(0, limit).map((x) => x.c);
}

/** Replaces "@que" (from `start` to `caret`) with "@Name " and returns the new text and caret. */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** Ids of picked members whose "@Name" is still in the text (0 for everyone), without duplicates. */
export function mentionedIds(text: string, picked: ReadonlyMap<number, string>): number[] {
  const ids: number[] = [];
  for (const [id, name] of picked) if (text.includes(`@${name}`)) ids.push(id);
  return ids;
}
