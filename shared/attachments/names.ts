/**
 * File names of attachments. A name comes from another user's message, so it
 * is untrusted: it must never act as a path (no separators, no "." or ".."),
 * carry control characters (NUL included), or reorder its own text with
 * bidirectional controls (the "invoice\u202Efdp.exe" trick that makes an .exe
 * look like a .pdf). The sender's core sanitises; the server refuses what is
 * still unsafe; the receiver sanitises again before any use on disk.
 */

export const MAX_FILE_NAME_LENGTH = 255;

/** Control characters (C0, DEL, C1), bidirectional overrides and isolates, and the path separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]/gu;
/** Characters Windows does not allow in names; replaced when the name is used for a file on disk. */
const WINDOWS_RESERVED = /[<>:"|?*]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i;

function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Why a name is not acceptable in a message, or undefined when it is. */
export function checkFileName(name: string): string | undefined {
  const length = codePoints(name).length;
  if (length === 0) return 'the file name is empty';
  if (length > MAX_FILE_NAME_LENGTH) return `the file name is longer than ${MAX_FILE_NAME_LENGTH} characters`;
  UNSAFE.lastIndex = 0;
  if (UNSAFE.test(name)) return 'the file name contains a path separator or a control character';
  if (name === '.' || name === '..') return 'the file name is not a name';
  if (name.trim() !== name) return 'the file name starts or ends with white space';
  return undefined;
}

/**
 * A safe name for a message and for disk: unsafe characters become "_",
 * white space is trimmed, and a long name is shortened in its stem so the
 * extension survives. Never empty.
 */
export function sanitizeFileName(raw: string, fallback = 'file'): string {
  let name = raw.normalize('NFC').replace(UNSAFE, '_').replace(WINDOWS_RESERVED, '_').trim();
  if (name === '' || /^\.+$/.test(name)) name = fallback;
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  const chars = codePoints(name);
  if (chars.length > MAX_FILE_NAME_LENGTH) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? codePoints(name.slice(dot)) : [];
    const keepExt = ext.length > 0 && ext.length <= 16 ? ext : [];
    name = chars.slice(0, MAX_FILE_NAME_LENGTH - keepExt.length).join('').trimEnd() + keepExt.join('');
  }
  return name;
}

/** The extension of a name, lower-case, without the dot ('' when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : '';
}

/**
 * File systems count name length in bytes (ext4, APFS: 255 bytes of UTF-8),
 * and 255 Chinese characters are 765 bytes. A name written to disk is cut to
 * this many UTF-8 bytes, in its stem, keeping the extension, leaving room for
 * a " (12)" when the name is taken.
 */
export const MAX_DISK_NAME_BYTES = 200;

function utf8Length(cp: string): number {
  const c = cp.codePointAt(0)!;
  return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/** A sanitised name that also fits a file system's name limit. */
export function diskFileName(raw: string): string {
  const name = sanitizeFileName(raw);
  const chars = codePoints(name);
  const bytes = chars.reduce((n, c) => n + utf8Length(c), 0);
  if (bytes <= MAX_DISK_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  const budget = MAX_DISK_NAME_BYTES - codePoints(ext).reduce((n, c) => n + utf8Length(c), 0);
  let used = 0;
  let stem = '';
  for (const c of codePoints(ext ? name.slice(0, dot) : name)) {
    if (used + utf8Length(c) > budget) break;
    used += utf8Length(c);
    stem += c;
  }
  return stem.trimEnd() + ext;
}
