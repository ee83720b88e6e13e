/**
 * Message text -> a small tree the bubble renders with Vue (never as HTML):
 * ```code blocks```, `inline code`, **bold**, *italic* / _italic_, links
 * (linkify-it; http and https only, opened outside the app) and @mentions of
 * the users the message names. Markers that do not pair up stay as typed;
 * nothing inside code is interpreted. Pure, so it is unit-tested.
 */
import { LinkifyIt } from 'linkify-it';

export type RichNode =
  | { kind: 'text'; text: string }
  | { kind: 'bold' | 'italic'; children: RichNode[] }
  | { kind: 'code' | 'codeblock'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'mention'; text: string; userId: number };

/** A mentioned user and the name the text shows after "@" (0 = everyone). */
export interface MentionName {
  userId: number;
  name: string;
}

const linkify = new LinkifyIt().set({ fuzzyLink: true, fuzzyEmail: false });

/** Only web links become clickable; the shell opens them in the system browser (electron/main/security.ts). */
function isWebLink(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

export function parseRichText(text: string, mentions: readonly MentionName[] = []): RichNode[] {
  const out: RichNode[] = [];
  // Code blocks first: ``` ... ``` across lines, an optional language word after the opening fence is dropped.
  const fence = /```(?:[a-zA-Z0-9+#-]{1,20}\n)?([\s\S]*?)```/g;
  let at = 0;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    if (m[1]!.trim() === '') continue;
    out.push(...inline(text.slice(at, m.index), mentions));
    out.push({ kind: 'codeblock', text: m[1]!.replace(/^\n/, '').replace(/\n$/, '') });
    at = m.index + m[0].length;
  }
  out.push(...inline(text.slice(at), mentions));
  return merge(out);
}

/** Inline code, then emphasis, then links and mentions in what is left. */
function inline(text: string, mentions: readonly MentionName[]): RichNode[] {
  if (!text) return [];
  const out: RichNode[] = [];
  const code = /`([^`\n]*[^`\s][^`\n]*)`/g;
  let at = 0;
  for (let m = code.exec(text); m; m = code.exec(text)) {
    out.push(...emphasis(text.slice(at, m.index), mentions));
    out.push({ kind: 'code', text: m[1]! });
    at = m.index + m[0].length;
  }
  out.push(...emphasis(text.slice(at), mentions));
  return out;
}

/**
 * **bold**, then *italic* or _italic_. A marker opens only before a
 * non-space and closes only after one, and `_` only at word edges, so
 * snake_case, 2 * 3 * 4 and a lone * stay text.
 */
function emphasis(text: string, mentions: readonly MentionName[]): RichNode[] {
  const rule = /\*\*(?=\S)([\s\S]+?)(?<=\S)\*\*|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\p{L}\p{N}_])/gu;
  const out: RichNode[] = [];
  let at = 0;
  for (let m = rule.exec(text); m; m = rule.exec(text)) {
    out.push(...leaves(text.slice(at, m.index), mentions));
    if (m[1] !== undefined) out.push({ kind: 'bold', children: emphasis(m[1], mentions) });
    else out.push({ kind: 'italic', children: leaves(m[2] ?? m[3]!, mentions) });
    at = m.index + m[0].length;
  }
  out.push(...leaves(text.slice(at), mentions));
  return out;
}

/** Links, then mentions, in plain text. */
function leaves(text: string, mentions: readonly MentionName[]): RichNode[] {
  if (!text) return [];
  const out: RichNode[] = [];
  let at = 0;
  for (const link of linkify.match(text) ?? []) {
    if (!isWebLink(link.url)) continue;
    out.push(...mentionsIn(text.slice(at, link.index), mentions));
    out.push({ kind: 'link', text: link.text, href: link.url });
    at = link.lastIndex;
  }
  out.push(...mentionsIn(text.slice(at), mentions));
  return out;
}

function mentionsIn(text: string, mentions: readonly MentionName[]): RichNode[] {
  if (!text) return [];
  // Longest names first, so "@Ann Lee" wins over "@Ann".
  const names = mentions.filter((m) => m.name).sort((a, b) => b.name.length - a.name.length);
  const out: RichNode[] = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const hit = text[i] === '@' && (i === 0 || /\s|[(（]/u.test(text[i - 1]!)) ? names.find((m) => text.startsWith(m.name, i + 1)) : undefined;
    if (hit) {
      if (plain) out.push({ kind: 'text', text: plain });
      plain = '';
      out.push({ kind: 'mention', text: `@${hit.name}`, userId: hit.userId });
      i += hit.name.length + 1;
    } else {
      plain += text[i];
      i++;
    }
  }
  if (plain) out.push({ kind: 'text', text: plain });
  return out;
}

/** Adjacent text nodes joined (fewer DOM nodes, simpler tests). */
function merge(nodes: RichNode[]): RichNode[] {
  const out: RichNode[] = [];
  for (const n of nodes) {
    const last = out[out.length - 1];
    if (n.kind === 'text' && last?.kind === 'text') last.text += n.text;
    else out.push(n);
  }
  return out;
}
