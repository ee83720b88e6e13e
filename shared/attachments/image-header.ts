/**
 * The pixel size of an image, read from its first bytes, without decoding it.
 *
 * This is the decompression-bomb guard: a 50 KB PNG can claim 100,000 ×
 * 100,000 pixels (40 GB of RGBA once decoded). Before any image is handed to a
 * decoder (the renderer's createImageBitmap for thumbnails, an <img> for the
 * full picture) its header says how big it is, and anything above
 * MAX_DECODE_PIXELS is shown as a file instead. A sender's claimed width and
 * height are not trusted: the receiver reads the header of the bytes it got.
 *
 * Formats: PNG, GIF, JPEG (baseline, progressive, lossless SOF markers), WebP
 * (lossy, lossless, extended), BMP, AVIF/HEIF (the `ispe` property). Pure
 * byte parsing: runs in the core and in tests, never throws on bad input.
 */

export interface ImageSize {
  width: number;
  height: number;
}

/** Above this many pixels an image is never decoded (a 12 MP photo is 12,000,000; 50 MP is 200 MB of RGBA). */
export const MAX_DECODE_PIXELS = 50_000_000;
/** Longest side a browser canvas handles everywhere. */
export const MAX_IMAGE_SIDE = 32_767;

/** Whether an image of this size may be decoded (thumbnail made, shown inline). */
export function isDecodable(size: ImageSize | undefined, maxPixels = MAX_DECODE_PIXELS): boolean {
  if (!size) return false;
  const { width, height } = size;
  return width > 0 && height > 0 && width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE && width * height <= maxPixels;
}

const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
const i32le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function sized(width: number, height: number): ImageSize | undefined {
  return Number.isSafeInteger(width) && Number.isSafeInteger(height) && width > 0 && height > 0 ? { width, height } : undefined;
}

function png(b: Uint8Array): ImageSize | undefined {
  // Signature, then the IHDR chunk: length(4) "IHDR" width(4) height(4).
  if (b.length < 24 || !ascii(b, 12, 'IHDR')) return undefined;
  return sized(u32be(b, 16), u32be(b, 20));
}

function gif(b: Uint8Array): ImageSize | undefined {
  if (b.length < 10) return undefined;
  return sized(u16le(b, 6), u16le(b, 8));
}

function bmp(b: Uint8Array): ImageSize | undefined {
  if (b.length < 26) return undefined;
  // BITMAPINFOHEADER: width and a height that is negative for top-down bitmaps.
  return sized(Math.abs(i32le(b, 18)), Math.abs(i32le(b, 22)));
}

/** SOFn markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpeg(b: Uint8Array): ImageSize | undefined {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM, RSTn, SOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or start of scan before any frame
    const length = u16be(b, i + 2);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      if (i + 9 > b.length) return undefined;
      return sized(u16be(b, i + 7), u16be(b, i + 5));
    }
    i += 2 + length;
  }
  return undefined;
}

function webp(b: Uint8Array): ImageSize | undefined {
  if (b.length < 30) return undefined;
  if (ascii(b, 12, 'VP8 ')) {
    // Lossy: a key frame's start code 9d 01 2a, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return sized(u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (ascii(b, 12, 'VP8L')) {
    if (b[20] !== 0x2f) return undefined;
    const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
    return sized((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (ascii(b, 12, 'VP8X')) return sized(u24le(b, 24) + 1, u24le(b, 27) + 1);
  return undefined;
}

/**
 * AVIF and HEIF keep the size in an `ispe` box inside `meta`; a full box
 * walk is not needed to find it: the first `ispe` within the head is the
 * primary image's in every encoder we know, and a wrong guess can only make
 * an image look bigger (shown as a file), never make a bomb look small,
 * because the largest `ispe` of the head is taken.
 */
function isobmff(b: Uint8Array): ImageSize | undefined {
  let best: ImageSize | undefined;
  for (let i = 4; i + 16 <= b.length; i++) {
    if (b[i] !== 0x69 || !ascii(b, i, 'ispe')) continue;
    const size = sized(u32be(b, i + 8), u32be(b, i + 12));
    if (size && (!best || size.width * size.height > best.width * best.height)) best = size;
  }
  return best;
}

/**
 * The size of an image of media type `mime` from its first bytes (a few KB
 * suffice for most files; JPEGs with large EXIF or ICC blocks may need more),
 * or undefined when the header is missing, truncated or not understood.
 */
export function readImageSize(head: Uint8Array, mime: string): ImageSize | undefined {
  switch (mime) {
    case 'image/png':
    case 'image/apng':
      return png(head);
    case 'image/gif':
      return gif(head);
    case 'image/jpeg':
      return jpeg(head);
    case 'image/webp':
      return webp(head);
    case 'image/bmp':
      return bmp(head);
    case 'image/avif':
    case 'image/heic':
    case 'image/heif':
      return isobmff(head);
    default:
      return undefined;
  }
}
