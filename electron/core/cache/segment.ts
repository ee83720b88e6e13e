/**
 * Text segmentation for the search index and queries.
 *
 * Why not the trigram tokenizer: it only matches substrings of 3+ characters,
 * and most Chinese words are 1-2 characters (你好, 我们, 吃饭), so the
 * "fallback" would be the common case, and a LIKE scan over 1M messages
 * costs far more than the 50 ms budget. Instead the index is FTS5's
 * unicode61 tokenizer (which already handles English, numbers and URL parts:
 * "https://www.example.com/path" gives https, www, example, com, path) over
 * text in which every run of CJK characters has been rewritten as its
 * overlapping bigrams plus its last character as a unigram:
 *
 *   "我们去吃饭" -> "我们 们去 去吃 吃饭 饭"
 *
 * - a query of 2+ CJK characters is the phrase of its bigrams
 *   ("去吃饭" -> "去吃 吃饭"), which matches exactly the texts containing it;
 * - a single character is the prefix query `"饭"*`: every character of a run
 *   starts a bigram except the last, which is the unigram, so every
 *   occurrence is found; the table's prefix='1' index makes it one doclist.
 * The index is about twice the size of the text's CJK part (same as a
 * trigram index) and needs no dictionary.
 */

/** Han, kana and Hangul: scripts written without spaces between words (Hangul has spaces, bigrams work for it too). */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;

function bigramsOf(chars: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/** The text as stored in the index's `body` column. */
export function segmentForIndex(text: string): string {
  return text.replace(CJK_RUN, (run) => {
    const chars = Array.from(run);
    const tokens = bigramsOf(chars);
    tokens.push(chars[chars.length - 1]!);
    return ` ${tokens.join(' ')} `;
  });
}

/** One piece of a parsed query: a CJK run or a run of other text (words, URL parts). */
export interface QueryTerm {
  kind: 'cjk' | 'word';
  /** The literal text the user typed for this term (for highlighting). */
  text: string;
}

/**
 * Splits a user query into terms: whitespace separates chunks, and inside a
 * chunk each CJK run and each run of word characters (letters, digits, and
 * the punctuation between them, as in "example.com") is a term. All terms
 * must match (AND).
 */
export function parseQuery(query: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  for (const chunk of query.normalize('NFC').split(/\s+/u)) {
    if (!chunk) continue;
    let last = 0;
    for (const m of chunk.matchAll(CJK_RUN)) {
      pushWordRun(terms, chunk.slice(last, m.index));
      terms.push({ kind: 'cjk', text: m[0] });
      last = m.index + m[0].length;
    }
    pushWordRun(terms, chunk.slice(last));
  }
  return terms;
}

function pushWordRun(terms: QueryTerm[], text: string): void {
  // Trim leading/trailing non-word characters; keep inner punctuation (URL, e-mail).
  const trimmed = text.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  if (trimmed) terms.push({ kind: 'word', text: trimmed });
}

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/**
 * The FTS5 MATCH expression for the terms, restricted to `body` (the caller
 * adds the conversation filter). Word runs are a phrase whose last token is a
 * prefix ("exam" finds "example"; "example.com" is the phrase example com*).
 * Undefined when nothing searchable is left.
 */
export function ftsExpression(terms: readonly QueryTerm[]): string | undefined {
  const parts: string[] = [];
  for (const t of terms) {
    if (t.kind === 'cjk') {
      const chars = Array.from(t.text);
      parts.push(chars.length === 1 ? `${quote(t.text)}*` : quote(bigramsOf(chars).join(' ')));
    } else {
      parts.push(`${quote(t.text)}*`);
    }
  }
  if (parts.length === 0) return undefined;
  return `body : (${parts.join(' AND ')})`;
}
