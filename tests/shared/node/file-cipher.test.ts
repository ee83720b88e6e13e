/**
 * Tern file encryption v1: the streaming implementation against the test
 * vectors (made by an independent implementation), round trips at awkward
 * sizes and splits, and every way a ciphertext can be broken.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  FILE_HEADER_SIZE,
  FileFormatError,
  chunkSpan,
  cipherRangeFor,
  cipherSize,
  plainSizeOf,
  type FileFormatErrorCode,
} from '../../../shared/attachments/format';
import { ChunkOpener, DecryptStream, DigestStream, EncryptStream, generateFileKey, generateSalt } from '../../../shared/node/attachments/file-cipher';
import { patternBytes, referenceEncrypt } from '../../fixtures/file-encryption/reference';

interface Vector {
  name: string;
  key: string;
  salt: string;
  chunkLog2: number;
  plaintextLength: number;
  ciphertextLength: number;
  digest: string;
  ciphertext?: string;
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/file-encryption/vectors.json', import.meta.url), 'utf8')) as { vectors: Vector[] };

/** Feeds `input` in pieces of the given sizes (cycled) through `transform`, returns everything it emitted. */
async function run(transform: NodeJS.ReadWriteStream | NodeJS.ReadWriteStream[], input: Uint8Array, pieces: number[] = [input.length || 1]): Promise<Buffer> {
  const parts: Buffer[] = [];
  let at = 0;
  let i = 0;
  const source = Readable.from(
    (function* () {
      while (at < input.length) {
        const n = Math.max(1, pieces[i++ % pieces.length]!);
        yield Buffer.from(input.subarray(at, at + n));
        at += n;
      }
    })(),
  );
  const transforms = Array.isArray(transform) ? transform : [transform];
  const sink = async (stream: AsyncIterable<Buffer>) => {
    for await (const part of stream) parts.push(part);
  };
  await (pipeline as unknown as (streams: unknown[]) => Promise<void>)([source, ...transforms, sink]);
  return Buffer.concat(parts);
}

async function refusal(key: Uint8Array, ciphertext: Uint8Array, expectedSize?: number): Promise<FileFormatErrorCode> {
  try {
    await run(new DecryptStream(key, expectedSize), ciphertext, [777]);
  } catch (err) {
    if (err instanceof FileFormatError) return err.code;
    throw err;
  }
  throw new Error('the ciphertext was accepted');
}

describe('test vectors', () => {
  for (const v of fixture.vectors) {
    it(`${v.name}: encrypts to the vector and decrypts back`, async () => {
      const key = Buffer.from(v.key, 'hex');
      const plain = patternBytes(v.plaintextLength);
      const digest = new DigestStream();
      const cipher = await run([new EncryptStream(key, Buffer.from(v.salt, 'hex'), v.chunkLog2), digest], plain, [1000, 3, 65536]);
      expect(cipher.length).toBe(v.ciphertextLength);
      expect(cipherSize(v.plaintextLength, 1 << v.chunkLog2)).toBe(v.ciphertextLength);
      expect(digest.digest()).toBe(v.digest);
      if (v.ciphertext) expect(cipher.toString('hex')).toBe(v.ciphertext);
      expect(Buffer.from(referenceEncrypt(key, Buffer.from(v.salt, 'hex'), plain, v.chunkLog2)).equals(cipher)).toBe(true);
      const back = await run(new DecryptStream(key, v.ciphertextLength), cipher, [5, 4111]);
      expect(back.equals(Buffer.from(plain))).toBe(true);
    });
  }
});

describe('round trips', () => {
  const chunk = 1 << 12;
  for (const size of [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 17]) {
    it(`${size} bytes, fed in odd pieces`, async () => {
      const key = generateFileKey();
      const plain = new Uint8Array(size).map((_, i) => (i * 13) & 0xff);
      const cipher = await run(new EncryptStream(key, generateSalt(), 12), plain, [1, 4095, 9000]);
      expect(cipher.length).toBe(cipherSize(size, chunk));
      expect(plainSizeOf(cipher.length, chunk)).toBe(size);
      const back = await run(new DecryptStream(key), cipher, [chunk + 16, 1, 33]);
      expect(back.equals(Buffer.from(plain))).toBe(true);
    });
  }

  it('opens any single chunk on its own (ranged downloads)', async () => {
    const key = generateFileKey();
    const size = 5 * 4096 + 100;
    const plain = patternBytes(size);
    const cipher = await run(new EncryptStream(key, generateSalt(), 12), plain);
    const opener = new ChunkOpener(key, cipher.subarray(0, FILE_HEADER_SIZE));
    const range = cipherRangeFor(3 * 4096 + 5, 4 * 4096 + 7, size, 4096);
    expect(range.first).toBe(3);
    const span3 = chunkSpan(3, size, 4096);
    const span4 = chunkSpan(4, size, 4096);
    expect(range.start).toBe(span3.offset);
    expect(range.end).toBe(span4.offset + span4.length - 1);
    const chunk4 = opener.open(4, cipher.subarray(span4.offset, span4.offset + span4.length), false);
    expect(chunk4.equals(Buffer.from(plain.subarray(4 * 4096, 5 * 4096)))).toBe(true);
    const last = chunkSpan(5, size, 4096);
    expect(last.last).toBe(true);
    expect(opener.open(5, cipher.subarray(last.offset), true).length).toBe(100);
  });

  it('plainSizeOf refuses sizes no plaintext has', () => {
    expect(() => plainSizeOf(FILE_HEADER_SIZE + 5)).toThrow(FileFormatError);
    expect(() => plainSizeOf(cipherSize(70000) + 1)).not.toThrow(); // 70001 bytes is a real size
    expect(() => plainSizeOf(FILE_HEADER_SIZE + 65536 + 16 + 16)).toThrow(FileFormatError); // an empty chunk after a full one
  });
});

describe('broken ciphertexts are refused, and nothing of a bad chunk comes out', () => {
  const key = generateFileKey();
  const size = 3 * 4096 + 10; // four chunks
  let cipher: Buffer;
  const sealed = 4096 + 16;
  const at = (i: number) => FILE_HEADER_SIZE + i * sealed;

  it('setup', async () => {
    cipher = await run(new EncryptStream(key, generateSalt(), 12), patternBytes(size));
    expect(cipher.length).toBe(cipherSize(size, 4096));
  });

  it('a flipped bit in a chunk, a tag, the salt, or the reserved header bytes', async () => {
    for (const offset of [at(1) + 7, at(2) - 1, 20, cipher.length - 1]) {
      const bad = Buffer.from(cipher);
      bad[offset]! ^= 1;
      expect(await refusal(key, bad)).toBe('tampered');
    }
    const reserved = Buffer.from(cipher);
    reserved[12] = 1;
    expect(await refusal(key, reserved)).toBe('bad-header');
    const magic = Buffer.from(cipher);
    magic[0] = 0x58;
    expect(await refusal(key, magic)).toBe('bad-header');
  });

  it('the wrong key', async () => {
    expect(await refusal(generateFileKey(), cipher)).toBe('tampered');
  });

  it('two chunks swapped, a chunk dropped, a chunk repeated', async () => {
    const swapped = Buffer.concat([cipher.subarray(0, at(1)), cipher.subarray(at(2), at(3)), cipher.subarray(at(1), at(2)), cipher.subarray(at(3))]);
    expect(await refusal(key, swapped)).toBe('tampered');
    const dropped = Buffer.concat([cipher.subarray(0, at(1)), cipher.subarray(at(2))]);
    expect(await refusal(key, dropped)).toBe('tampered');
    const repeated = Buffer.concat([cipher.subarray(0, at(2)), cipher.subarray(at(1))]);
    expect(await refusal(key, repeated)).toBe('tampered');
  });

  it('cut at a chunk boundary, inside a chunk, inside the header', async () => {
    expect(await refusal(key, cipher.subarray(0, at(2)))).toBe('truncated');
    expect(await refusal(key, cipher.subarray(0, at(2) + 100), cipher.length)).toBe('truncated');
    expect(await refusal(key, cipher.subarray(0, 20))).toBe('truncated');
  });

  it('bytes appended after the last chunk', async () => {
    // Without a stated size the extra bytes shift the last chunk's boundary: it no longer authenticates.
    expect(await refusal(key, Buffer.concat([cipher, Buffer.alloc(4096 + 16 + 5)]))).toBe('tampered');
    expect(await refusal(key, Buffer.concat([cipher, Buffer.from([0])]), cipher.length)).toBe('trailing-data');
  });

  it('a whole chunk appended after a full last chunk', async () => {
    const exact = await run(new EncryptStream(key, generateSalt(), 12), patternBytes(2 * 4096));
    expect(await refusal(key, Buffer.concat([exact, exact.subarray(at(0), at(1))]))).toBe('trailing-data');
  });

  it('a tampered stream emits no byte of the bad chunk', async () => {
    const bad = Buffer.from(cipher);
    bad[at(2) + 3]! ^= 0x80;
    const got: Buffer[] = [];
    const stream = new DecryptStream(key);
    stream.on('data', (b: Buffer) => got.push(b));
    await expect(pipeline(Readable.from([bad]), stream)).rejects.toThrow(FileFormatError);
    expect(Buffer.concat(got).length).toBeLessThanOrEqual(2 * 4096);
  });
});
