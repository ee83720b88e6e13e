/** Helpers for attachment tests: staging bytes the way the UI does (slices over the contract), pictures to send. */
import { deflateSync } from 'node:zlib';
import type { MessengerCore, StagedAttachment } from '../../../shared/ipc';

/** Stages `bytes` as the browser does: begin, slices in order, finish. */
export async function stageBytes(core: MessengerCore, name: string, bytes: Uint8Array, slice = 256 * 1024): Promise<StagedAttachment> {
  const { stagingId } = await core.beginAttachment({ name, size: bytes.length });
  for (let offset = 0; offset < bytes.length; offset += slice) {
    await core.appendAttachment({ stagingId, offset, data: Buffer.from(bytes.subarray(offset, offset + slice)).toString('base64') });
  }
  return core.finishAttachment({ stagingId });
}

/** Bytes that do not compress and do not repeat (a seeded xorshift). */
export function noise(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A real PNG (RGB, 8 bits) of `width` x `height`. With `claim` the header
 * says another size than the pixel data has: a decompression bomb's header
 * (40,000 x 40,000) on a few bytes.
 */
export function png(width: number, height: number, claim?: { width: number; height: number }): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(claim?.width ?? width, 0);
  ihdr.writeUInt32BE(claim?.height ?? height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 255) / Math.max(1, width - 1);
      row[2 + x * 3] = (y * 255) / Math.max(1, height - 1);
      row[3 + x * 3] = 128;
    }
    rows.push(row);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', new Uint8Array(0))]);
}

/** Reads a whole attachment back through readAttachment, slice by slice. */
export async function readAll(core: MessengerCore, messageId: string, index: number, part: 'file' | 'thumbnail' = 'file'): Promise<{ bytes: Buffer; mime: string; displayable: boolean }> {
  const parts: Buffer[] = [];
  let offset = 0;
  let first;
  for (;;) {
    const r = await core.readAttachment({ messageId, index, part, offset, length: 512 * 1024 });
    first ??= r;
    const data = Buffer.from(r.data, 'base64');
    parts.push(data);
    offset += data.length;
    if (offset >= r.size || data.length === 0) break;
  }
  return { bytes: Buffer.concat(parts), mime: first.mime, displayable: first.displayable };
}
