/**
 * What a file is, from its first bytes (never from its name): the media type
 * by magic number (file-type), text when the bytes are UTF-8 without binary
 * control characters, else application/octet-stream; and for pictures, the
 * pixel size from the header (../../../shared/attachments/image-header.ts),
 * which decides whether the picture may be decoded at all.
 */
import { fileTypeFromBuffer } from 'file-type';
import { isDecodable, readImageSize, type ImageSize } from '../../../shared/attachments/image-header';
import { UNKNOWN_MIME, isInlineImageType } from '../../../shared/attachments/media';
import type { AttachmentKind } from '../../../shared/ipc';

/** How much of a file's start is kept for sniffing: JPEG frame headers can sit behind large EXIF and ICC blocks. */
export const SNIFF_BYTES = 1024 * 1024;

export interface Sniffed {
  mime: string;
  /** Pictures whose header could be read. */
  image?: ImageSize;
  /** An inline picture type within the decoding limits: it may be shown and a thumbnail made. */
  decodable: boolean;
  kind: AttachmentKind;
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  try {
    // stream: a multi-byte character cut at the end of the head is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    return false;
  }
  for (const b of head) if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b) || b === 0x7f) return false;
  return true;
}

export async function sniff(head: Uint8Array): Promise<Sniffed> {
  const type = head.length > 0 ? await fileTypeFromBuffer(head) : undefined;
  const mime = type?.mime ?? (looksLikeText(head) ? 'text/plain' : UNKNOWN_MIME);
  const image = mime.startsWith('image/') ? readImageSize(head, mime) : undefined;
  const decodable = isInlineImageType(mime) && isDecodable(image);
  return { mime, ...(image ? { image } : {}), decodable, kind: decodable ? 'image' : 'file' };
}
