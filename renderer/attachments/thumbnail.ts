/**
 * Thumbnails and ThumbHash placeholders, drawn by the renderer's own image
 * decoder (createImageBitmap + canvas): the browser's decoders are sandboxed
 * and already shipped, so the core needs no native image library. Only
 * called for a file the core has read the header of and found an inline
 * image type under the pixel limit (`StagedAttachment.decodable`): a
 * decompression bomb never reaches a decoder. The decoder is asked for the
 * small size directly (resizeWidth/Height), so a large photo is never held
 * at full size in the page.
 */
import { rgbaToThumbHash, thumbHashToDataURL } from 'thumbhash';
import { THUMBNAIL_MAX_SIDE } from '../../shared/attachments/media';
import { base64ToBytes, blobToBase64 } from './bytes';

/** A thumbnail's bytes, so that its base64 fits one call of the web shell (256 KiB a message). */
const MAX_THUMBNAIL_CALL_BYTES = 150 * 1024;
/** ThumbHash takes at most 100x100 pixels. */
const HASH_SIDE = 100;

function fit(width: number, height: number, max: number): { w: number; h: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { w: Math.max(1, Math.round(width * scale)), h: Math.max(1, Math.round(height * scale)) };
}

async function draw(file: Blob, width: number, height: number, max: number): Promise<HTMLCanvasElement> {
  const size = fit(width, height, max);
  const bitmap = await createImageBitmap(file, { resizeWidth: size.w, resizeHeight: size.h, resizeQuality: 'high' });
  const canvas = document.createElement('canvas');
  canvas.width = size.w;
  canvas.height = size.h;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas;
}

function toBlob(canvas: HTMLCanvasElement, type: string, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('could not encode the thumbnail'))), type, quality));
}

export interface Thumbnail {
  /** WebP (JPEG where the browser cannot write WebP), base64. */
  thumbnail: string;
  /** ThumbHash, base64. */
  thumbhash: string;
}

/** A thumbnail (at most THUMBNAIL_MAX_SIDE on its longer side) and a ThumbHash of a picture of `width` x `height`. */
export async function makeThumbnail(file: Blob, width: number, height: number): Promise<Thumbnail> {
  const small = await draw(file, width, height, THUMBNAIL_MAX_SIDE);
  let blob = await toBlob(small, 'image/webp', 0.8);
  if (blob.type !== 'image/webp') blob = await toBlob(small, 'image/jpeg', 0.82);
  // Small enough to travel in one call of any shell (a noisy picture can make a large thumbnail).
  if (blob.size > MAX_THUMBNAIL_CALL_BYTES) blob = await toBlob(small, 'image/jpeg', 0.5);
  if (blob.size > MAX_THUMBNAIL_CALL_BYTES) throw new Error('the thumbnail is too large');
  const tiny = await draw(file, width, height, HASH_SIDE);
  const pixels = tiny.getContext('2d')!.getImageData(0, 0, tiny.width, tiny.height).data;
  const hash = rgbaToThumbHash(tiny.width, tiny.height, pixels);
  let binary = '';
  for (const b of hash) binary += String.fromCharCode(b);
  return { thumbnail: await blobToBase64(blob), thumbhash: btoa(binary) };
}

/** The placeholder image of a ThumbHash (a data: URL), or undefined if it is not one. */
export function placeholderUrl(thumbhash: string | undefined): string | undefined {
  if (!thumbhash) return undefined;
  try {
    return thumbHashToDataURL(base64ToBytes(thumbhash));
  } catch {
    return undefined;
  }
}
