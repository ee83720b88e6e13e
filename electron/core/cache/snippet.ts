/**
 * Search snippets as parts (`{ text, hit }`), computed from the original text
 * (the index only holds segmented text). Matching is case- and
 * accent-insensitive, like the index: both sides are folded (NFD, marks
 * dropped, lower case) while remembering where each folded unit came from.
 */
import type { SnippetPart } from '../../../shared/ipc';
import type { QueryTerm } from './segment';

export interface SnippetOptions {
  /** Longest snippet, in UTF-16 units, before the ellipses. */
  maxLength?: number;
  /** How much text to keep before the first hit. */
  lead?: number;
}

const ELLIPSIS = '…';

interface Folded {
  text: string;
  /** origin[i] = index in the original string of folded unit i; origin[text.length] = original length. */
  origin: number[];
}

function fold(s: string): Folded {
  let text = '';
  const origin: number[] = [];
  let i = 0;
  for (const ch of s) {
    const f = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    for (let k = 0; k < f.length; k++) origin.push(i);
    text += f;
    i += ch.length;
  }
  origin.push(s.length);
  return { text, origin };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Hit ranges [start, end) in the original text, sorted and merged. */
export function findHits(text: string, terms: readonly QueryTerm[]): [number, number][] {
  const folded = fold(text);
  const ranges: [number, number][] = [];
  for (const term of terms) {
    const needle = fold(term.text).text;
    if (!needle) continue;
    // Words match at a word start (prefix), CJK anywhere.
    const source = term.kind === 'word' ? `(?<![\\p{L}\\p{N}])${escapeRegExp(needle)}` : escapeRegExp(needle);
    const re = new RegExp(source, 'gu');
    for (const m of folded.text.matchAll(re)) {
      const start = folded.origin[m.index]!;
      const end = folded.origin[m.index + m[0].length]!;
      if (end > start) ranges.push([start, end]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/** Never splits a surrogate pair. */
function clampToCodePoint(s: string, i: number): number {
  if (i > 0 && i < s.length) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) return i - 1;
  }
  return i;
}

export function buildSnippet(text: string, terms: readonly QueryTerm[], options: SnippetOptions = {}): SnippetPart[] {
  const maxLength = options.maxLength ?? 120;
  const lead = options.lead ?? 30;
  const flat = text.replace(/\s+/gu, ' ');
  const hits = findHits(flat, terms);
  let start = 0;
  let end = flat.length;
  if (flat.length > maxLength) {
    const first = hits[0]?.[0] ?? 0;
    start = clampToCodePoint(flat, Math.max(0, Math.min(first - lead, flat.length - maxLength)));
    end = clampToCodePoint(flat, Math.min(flat.length, start + maxLength));
  }
  const parts: SnippetPart[] = [];
  const push = (t: string, hit: boolean): void => {
    if (!t) return;
    const prev = parts[parts.length - 1];
    if (prev && prev.hit === hit) prev.text += t;
    else parts.push({ text: t, hit });
  };
  if (start > 0) push(ELLIPSIS, false);
  let pos = start;
  for (const [hs, he] of hits) {
    if (he <= start) continue;
    if (hs >= end) break;
    const s = Math.max(hs, start);
    const e = Math.min(he, end);
    push(flat.slice(pos, s), false);
    push(flat.slice(s, e), true);
    pos = e;
  }
  push(flat.slice(pos, end), false);
  if (end < flat.length) push(ELLIPSIS, false);
  return parts;
}
