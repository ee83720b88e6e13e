/**
 * What kind of thing a file is, for showing it: an inline picture, or a card
 * with an icon by type. The media type always comes from the file's bytes
 * (the core sniffs them with file-type), never from its name alone; the
 * name's extension only picks a card icon when the bytes say nothing more
 * specific (text formats have no magic number).
 */
import { extensionOf } from './names';

/** Image types shown inline (decoded by the browser). SVG is not: it is a document that can carry scripts and links. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/avif']);

/** Types a thumbnail may have (what canvas encoders produce). */
export const THUMBNAIL_TYPES: ReadonlySet<string> = new Set(['image/webp', 'image/jpeg', 'image/png']);
/** Longest side of a thumbnail the sender makes (CSS pixels ×2 for sharp bubbles on HiDPI screens). */
export const THUMBNAIL_MAX_SIDE = 480;
/** A received thumbnail larger than this (either side) is not decoded: it is not a thumbnail. */
export const THUMBNAIL_MAX_DECODE_SIDE = 2048;
/** Largest thumbnail blob (PROTOCOL.md §14.1). */
export const THUMBNAIL_MAX_BYTES = 1024 * 1024;
/** Largest ThumbHash (PROTOCOL.md §14.1). */
export const THUMBHASH_MAX_BYTES = 64;

export const UNKNOWN_MIME = 'application/octet-stream';

export function isInlineImageType(mime: string): boolean {
  return INLINE_IMAGE_TYPES.has(mime);
}

/** The icon family of a file card. */
export const fileCategories = ['image', 'video', 'audio', 'pdf', 'archive', 'document', 'spreadsheet', 'presentation', 'code', 'text', 'executable', 'other'] as const;
export type FileCategory = (typeof fileCategories)[number];

const byExtension: Record<string, FileCategory> = {};
function ext(category: FileCategory, list: string): void {
  for (const e of list.split(' ')) byExtension[e] = category;
}
ext('document', 'doc docx odt rtf pages');
ext('spreadsheet', 'xls xlsx ods csv tsv numbers');
ext('presentation', 'ppt pptx odp key');
ext('code', 'js mjs cjs ts tsx jsx json py rb go rs java kt c h cc cpp hpp cs swift php sh bash zsh ps1 sql html htm css scss xml yaml yml toml ini vue');
ext('text', 'txt md log');
ext('archive', 'zip rar 7z tar gz tgz bz2 xz zst');
ext('executable', 'exe msi bat cmd com scr dmg pkg app apk deb rpm appimage jar');

/**
 * The card icon for a file: from the sniffed media type first, then (for
 * types the bytes cannot tell apart, such as plain text or a zip that is
 * really a .docx) from the extension.
 */
export function fileCategory(mime: string, name: string): FileCategory {
  const e = extensionOf(name);
  const fromName = byExtension[e];
  if (mime === 'application/pdf') return 'pdf';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/')) return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime === 'application/x-msdownload' || mime === 'application/x-executable' || mime === 'application/x-elf' || mime === 'application/x-mach-binary') return 'executable';
  // Office files are zip containers: the extension (with a zip type) says which.
  if (mime === 'application/zip' && fromName && fromName !== 'archive') return fromName;
  if (/(zip|x-tar|gzip|x-7z|x-rar|x-bzip2|x-xz|zstd)/.test(mime)) return 'archive';
  if (mime.includes('wordprocessingml') || mime === 'application/msword' || mime === 'application/vnd.oasis.opendocument.text') return 'document';
  if (mime.includes('spreadsheetml') || mime === 'application/vnd.ms-excel' || mime === 'application/vnd.oasis.opendocument.spreadsheet') return 'spreadsheet';
  if (mime.includes('presentationml') || mime === 'application/vnd.ms-powerpoint' || mime === 'application/vnd.oasis.opendocument.presentation') return 'presentation';
  // Text has no magic number: when the bytes say nothing more specific, the extension picks the icon.
  return fromName ?? 'other';
}

/**
 * Extensions the operating system runs or installs when "opened". Opening
 * such a file from a chat is how malware spreads, so the app offers "Show in
 * folder" and "Save as" for them, never "Open". Checked on the sanitised name
 * (the one written to disk), whatever the bytes say: the OS goes by the name.
 */
const DANGEROUS_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'exe com scr pif bat cmd msi msp mst cpl hta jar js jse vbs vbe wsf wsh ws ps1 psm1 psd1 reg inf lnk url scf ' +
    'application gadget msc appref-ms xll sh bash zsh command csh ksh run bin appimage deb rpm pkg dmg app ' +
    'desktop apk dll so dylib iso img vhd vhdx docm xlsm pptm dotm xltm'
  ).split(' '),
);

export function isDangerousToOpen(name: string): boolean {
  return DANGEROUS_EXTENSIONS.has(extensionOf(name));
}

/** Human file size: 0 B, 999 B, 1.2 KB, 34 MB, 1.1 GB (binary multiples, the way file managers show them). */
export function formatFileSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
