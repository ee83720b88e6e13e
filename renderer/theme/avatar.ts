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

export function initials(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) return '?';
  // CJK names: the first character reads best; Latin: first letters of up to two words.
  const first = Array.from(trimmed)[0]!;
  if (/[\u3000-\u9fff\uac00-\ud7af]/.test(first)) return first;
  const words = trimmed.split(/[\s._-]+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0]!.toUpperCase());
  return letters.join('') || first.toUpperCase();
}
