/** Telling what a file is and whether a picture may be decoded: pixel sizes from headers, card icons, dangerous names, disk names. */
import { describe, expect, it } from 'vitest';
import { MAX_DECODE_PIXELS, isDecodable, readImageSize } from '../../shared/attachments/image-header';
import { fileCategory, formatFileSize, isDangerousToOpen, isInlineImageType } from '../../shared/attachments/media';
import { MAX_DISK_NAME_BYTES, diskFileName } from '../../shared/attachments/names';

const bytes = (...parts: Array<number[] | string>) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const le16 = (n: number) => [n & 255, (n >>> 8) & 255];
const le24 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255];
const le32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255];
const be16 = (n: number) => [(n >>> 8) & 255, n & 255];

describe('readImageSize', () => {
  it('PNG: the IHDR chunk', () => {
    const head = bytes([0x89], 'PNG\r\n\x1a\n', be32(13), 'IHDR', be32(4032), be32(3024), [8, 2, 0, 0, 0]);
    expect(readImageSize(head, 'image/png')).toEqual({ width: 4032, height: 3024 });
  });

  it('GIF: the logical screen', () => {
    expect(readImageSize(bytes('GIF89a', le16(320), le16(200), [0, 0, 0]), 'image/gif')).toEqual({ width: 320, height: 200 });
  });

  it('JPEG: skips APP segments (EXIF) to the frame header, progressive too', () => {
    const app1 = [0xff, 0xe1, ...be16(2 + 1000), ...new Array<number>(1000).fill(0x45)];
    const dqt = [0xff, 0xdb, ...be16(2 + 65), ...new Array<number>(65).fill(1)];
    const sof2 = [0xff, 0xc2, ...be16(17), 8, ...be16(3000), ...be16(4000), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
    expect(readImageSize(new Uint8Array([0xff, 0xd8, ...app1, ...dqt, 0xff, 0xff, ...sof2]), 'image/jpeg')).toEqual({ width: 4000, height: 3000 });
    // DHT (C4) is not a frame; a scan before any frame is no size.
    const dht = [0xff, 0xc4, ...be16(4), 0, 0];
    expect(readImageSize(new Uint8Array([0xff, 0xd8, ...dht, 0xff, 0xda, 0, 2]), 'image/jpeg')).toBeUndefined();
    // The frame header behind more than the head: unknown, so not decodable.
    expect(readImageSize(new Uint8Array([0xff, 0xd8, ...app1.slice(0, 500)]), 'image/jpeg')).toBeUndefined();
  });

  it('WebP: lossy, lossless and extended', () => {
    const riff = (fourcc: string, payload: number[]) => bytes('RIFF', le32(4 + 8 + payload.length), 'WEBP', fourcc, le32(payload.length), payload);
    const lossy = riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, ...le16(1920), ...le16(1080), 0, 0]);
    expect(readImageSize(lossy, 'image/webp')).toEqual({ width: 1920, height: 1080 });
    const bits = (1023 - 1) | ((767 - 1) << 14);
    const lossless = riff('VP8L', [0x2f, ...le32(bits), 0, 0, 0, 0, 0]);
    expect(readImageSize(lossless, 'image/webp')).toEqual({ width: 1023, height: 767 });
    const extended = riff('VP8X', [0, 0, 0, 0, ...le24(50_000 - 1), ...le24(40_000 - 1), 0, 0]);
    expect(readImageSize(extended, 'image/webp')).toEqual({ width: 50_000, height: 40_000 });
  });

  it('BMP: top-down (negative height) too', () => {
    const head = bytes('BM', new Array<number>(16).fill(0), le32(800), le32(-600 >>> 0), [1, 0, 24, 0]);
    expect(readImageSize(head, 'image/bmp')).toEqual({ width: 800, height: 600 });
  });

  it('AVIF/HEIF: the largest ispe of the head (a small thumbnail item cannot hide a huge primary image)', () => {
    const ispe = (w: number, h: number) => [...be32(20), ...'ispe'.split('').map((c) => c.charCodeAt(0)), 0, 0, 0, 0, ...be32(w), ...be32(h)];
    const head = bytes(be32(24), 'ftypavif', new Array<number>(12).fill(0), ispe(320, 240), ispe(60_000, 60_000));
    expect(readImageSize(head, 'image/avif')).toEqual({ width: 60_000, height: 60_000 });
  });

  it('truncated, garbage or zero sizes: undefined, never a throw', () => {
    for (const mime of ['image/png', 'image/gif', 'image/jpeg', 'image/webp', 'image/bmp', 'image/avif', 'image/svg+xml']) {
      expect(readImageSize(new Uint8Array(0), mime)).toBeUndefined();
      expect(readImageSize(new Uint8Array(7).fill(0xff), mime)).toBeUndefined();
    }
    expect(readImageSize(bytes([0x89], 'PNG\r\n\x1a\n', be32(13), 'IHDR', be32(0), be32(10)), 'image/png')).toBeUndefined();
  });
});

describe('isDecodable (the decompression-bomb guard)', () => {
  it('a 12-megapixel photo yes; 40,000 x 40,000, a side over 32,767, or an unknown size no', () => {
    expect(isDecodable({ width: 4000, height: 3000 })).toBe(true);
    expect(isDecodable({ width: 40_000, height: 40_000 })).toBe(false);
    expect(isDecodable({ width: 40_000, height: 10 })).toBe(false);
    expect(isDecodable({ width: 10_000, height: 5_001 })).toBe(false);
    expect(10_000 * 5_001).toBeGreaterThan(MAX_DECODE_PIXELS);
    expect(isDecodable(undefined)).toBe(false);
  });
});

describe('what a card shows', () => {
  it('picks the icon from the bytes first, the extension for what bytes cannot tell', () => {
    expect(fileCategory('application/pdf', 'photo.jpg')).toBe('pdf');
    expect(fileCategory('image/png', 'report.pdf')).toBe('image');
    expect(fileCategory('application/x-msdownload', 'invoice.pdf')).toBe('executable');
    expect(fileCategory('application/zip', 'plan.docx')).toBe('document');
    expect(fileCategory('application/zip', 'photos.zip')).toBe('archive');
    expect(fileCategory('text/plain', 'notes.md')).toBe('text');
    expect(fileCategory('text/plain', 'main.ts')).toBe('code');
    expect(fileCategory('application/octet-stream', 'data.bin')).toBe('other');
    expect(fileCategory('video/mp4', 'clip')).toBe('video');
  });

  it('never offers to open what the system would run', () => {
    for (const name of ['setup.exe', 'run.BAT', 'x.ps1', 'a.js', 'app.AppImage', 'macro.docm', 'shortcut.lnk']) expect(isDangerousToOpen(name), name).toBe(true);
    for (const name of ['report.pdf', 'photo.jpg', 'notes.txt', 'archive.zip', 'exe']) expect(isDangerousToOpen(name), name).toBe(false);
  });

  it('inline pictures are the browser-safe raster types (not SVG)', () => {
    expect(isInlineImageType('image/webp')).toBe(true);
    expect(isInlineImageType('image/svg+xml')).toBe(false);
    expect(isInlineImageType('image/heic')).toBe(false);
  });

  it('sizes read the way file managers show them', () => {
    expect([0, 999, 1536, 10 * 1024 * 1024, 1.5 * 1024 ** 3].map(formatFileSize)).toEqual(['0 B', '999 B', '1.5 KB', '10 MB', '1.5 GB']);
  });
});

describe('diskFileName', () => {
  it('cuts long names to the file system limit in UTF-8 bytes, keeping the extension', () => {
    const name = diskFileName(`${'报'.repeat(255)}.pdf`);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_DISK_NAME_BYTES);
    expect(name.endsWith('.pdf')).toBe(true);
    expect(diskFileName('short.txt')).toBe('short.txt');
    expect(diskFileName('../../evil')).toBe('.._.._evil');
    // Four-byte characters are never split.
    expect([...diskFileName('😀'.repeat(100))].every((c) => c === '😀')).toBe(true);
  });
});
