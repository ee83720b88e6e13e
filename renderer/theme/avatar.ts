/** Generated avatars: initials on a colour picked from the user (or group) id. */
const palette = ['#1565c0', '#2e7d32', '#ad1457', '#6a1b9a', '#00695c', '#c62828', '#4e342e', '#283593', '#37474f', '#8e4400'];

/** All palette colours carry white text at >= 4.5:1 (checked in tests). */
export const avatarPalette: readonly string[] = palette;

export function avatarColor(seed: number | string): string {
  let h = 0;
  const s = String(seed);
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return palette[h % palette.length]!;
}

// Han, kana and hangul: one character of these is a whole initial.
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]|[\ud840-\ud87f][\udc00-\udfff]/;
const LETTER = /\p{L}/u;

/**
 * The initials of a display name, never mixing scripts: a CJK name shows its
 * first character ("陈云" → "陈", "鲍 Ben" → "鲍"); any other name the first
 * letters of up to two words, skipping words that start in a CJK script
 * ("Ann Lee" → "AL", "Ben 鲍" → "B", not "B鲍"). Emoji and symbols count
 * only when there is no letter at all.
 */
export function initials(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) return '?';
  const words = trimmed.split(/[\s._-]+/).filter(Boolean).map((w) => Array.from(w));
  const firstLetterWord = words.find((w) => LETTER.test(w[0]!));
  if (!firstLetterWord) return Array.from(trimmed)[0]!;
  if (CJK.test(firstLetterWord[0]!)) return firstLetterWord[0]!;
  const latin = words.filter((w) => LETTER.test(w[0]!) && !CJK.test(w[0]!));
  return latin.slice(0, 2).map((w) => w[0]!.toUpperCase()).join('');
}
