/** Field checks shared by the services; each failure names the field. */
import { ConversationType, type ConversationRef } from '../../shared/protocol';
import { invalid } from './errors';

export const USERNAME_RE = /^[a-z0-9_.-]{3,32}$/;

/**
 * Length in code points, so a CJK or emoji character counts once: the
 * UTF-16 length less one for each surrogate pair (a lone surrogate counts
 * once, as `for...of` counts it). A loop over char codes, where iterating
 * the string allocated per character.
 */
export function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** More than `max` code points (a string of at most `max` UTF-16 units has no more code points than that: not counted). */
export function longerThan(s: string, max: number): boolean {
  return s.length > max && charLength(s) > max;
}

export function requireLength(field: string, value: string, min: number, max: number): string {
  const n = charLength(value);
  if (n < min || n > max) throw invalid(field, `${field} must be ${min}-${max} characters`);
  return value;
}

export function requireUsername(field: string, value: string): string {
  if (!USERNAME_RE.test(value)) throw invalid(field, `${field} must be 3-32 characters of a-z 0-9 _ . -`);
  return value;
}

/** Made once: `BigInt(...)` in the check allocated a BigInt per call (several per message). */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Protocol integers are uint64, which protobuf-es gives us as bigint. Inside
 * the server they are numbers (ids, sequences and times stay below 2^53).
 */
export function toNumber(field: string, value: bigint): number {
  if (value > MAX_SAFE) throw invalid(field, `${field} is out of range`);
  return Number(value);
}

export const big = (value: number): bigint => BigInt(value);

export function requireId(field: string, value: bigint): number {
  if (value <= 0n) throw invalid(field, `${field} must be a positive id`);
  return toNumber(field, value);
}

export function requireIds(field: string, values: readonly bigint[], max: number): number[] {
  if (values.length > max) throw invalid(field, `${field} has more than ${max} entries`);
  const out = new Set<number>();
  for (const v of values) out.add(requireId(field, v));
  return [...out];
}

/**
 * One emoji: a single grapheme cluster of at most 64 UTF-8 bytes (every RGI emoji fits) that is an
 * emoji (pictographic or a keycap / flag sequence), so reactions cannot
 * carry text.
 */
export function requireEmoji(field: string, value: string): string {
  const graphemes = [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(value)];
  const bytes = new TextEncoder().encode(value).length;
  if (graphemes.length !== 1 || bytes > 64 || !/\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(value)) {
    throw invalid(field, `${field} must be one emoji`);
  }
  return value;
}

/** Single-line display text: no control characters (U+0000-U+001F, U+007F). */
export function requireText(field: string, value: string, min: number, max: number): string {
  requireLength(field, value, min, max);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw invalid(field, `${field} must not contain control characters`);
  }
  return value;
}

/** A conversation as the caller names it (the peer's user id, or the group id). */
export function requireConversationRef(ref: ConversationRef | undefined): { type: ConversationType; id: number } {
  if (!ref) throw invalid('conversation', 'conversation is required');
  if (ref.type !== ConversationType.DIRECT && ref.type !== ConversationType.GROUP) throw invalid('conversation.type', 'unknown conversation type');
  return { type: ref.type, id: requireId('conversation.id', ref.id) };
}
