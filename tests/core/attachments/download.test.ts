/**
 * The downloader against a blob service that lies: a small HTTP server on
 * loopback that serves whatever bytes the test hands it (altered, cut short,
 * extended, another file under the same key), with ranges. Nothing but a
 * whole, verified file with the right digest may ever get its final name.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_HEADER_SIZE } from '../../../shared/attachments/format';
import { encryptBuffer } from '../../../electron/core/attachments/staging';
import { downloadFile, type DownloadOptions } from '../../../electron/core/attachments/download';
import { DecryptStream } from '../../../shared/node/attachments/file-cipher';
import { noise } from './helpers';

let server: Server;
let url: string;
let dir: string;
/** What the server sends for the next requests. */
let body: Buffer = Buffer.alloc(0);
/** Content-Length it claims (default: the body's). */
let claimedLength: number | undefined;
const ranges: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tern-download-'));
  server = createServer((req, res) => {
    if (req.headers.authorization !== 'Bearer t') return void res.writeHead(401).end('{"error":"token-invalid"}');
    const range = req.headers.range;
    ranges.push(range ?? '');
    const start = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, { 'Content-Length': claimedLength ?? part.length });
    res.end(part);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/blobs/x`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function encrypted(plain: Uint8Array) {
  const { bytes, ref } = encryptBuffer(plain);
  return { bytes, digest: ref.digest, key: new Uint8Array(Buffer.from(ref.key, 'base64')) };
}

function options(path: string, file: { bytes: Buffer; digest: string; key: Uint8Array }, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    path,
    digest: file.digest,
    cipherSize: file.bytes.length,
    key: file.key,
    authorize: async () => ({ token: 't', url }),
    onProgress: () => undefined,
    signal: new AbortController().signal,
    stallMs: 5000,
    sleep: async () => undefined,
    ...extra,
  };
}

async function decrypt(path: string, key: Uint8Array, size: number): Promise<Buffer> {
  const d = new DecryptStream(key, size);
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  d.end(readFileSync(path));
  await new Promise((r) => d.on('end', r));
  return Buffer.concat(out);
}

let n = 0;
function target(): string {
  return join(dir, `file-${n++}`);
}

describe('downloadFile', () => {
  it('fetches, verifies each chunk and the digest, and names the file only at the end', async () => {
    const plain = noise(300_000, 3);
    const file = encrypted(plain);
    body = file.bytes;
    claimedLength = undefined;
    const path = target();
    const seen: number[] = [];
    await downloadFile(options(path, file, { onProgress: (b) => seen.push(b) }));
    expect(existsSync(`${path}.part`)).toBe(false);
    expect(seen.at(-1)).toBe(file.bytes.length);
    expect((await decrypt(path, file.key, file.bytes.length)).equals(Buffer.from(plain))).toBe(true);
  });

  it('a zero-byte file is one empty chunk: downloads and decrypts to nothing', async () => {
    const file = encrypted(new Uint8Array(0));
    body = file.bytes;
    const path = target();
    await downloadFile(options(path, file));
    expect((await decrypt(path, file.key, file.bytes.length)).length).toBe(0);
  });

  it('resumes from a part file with a Range, after verifying what is there (a torn tail is dropped)', async () => {
    const file = encrypted(noise(400_000, 5));
    body = file.bytes;
    const path = target();
    // Two whole chunks and a torn half chunk from an earlier run.
    const keep = FILE_HEADER_SIZE + 2 * (65536 + 16);
    writeFileSync(`${path}.part`, file.bytes.subarray(0, keep + 1000));
    ranges.length = 0;
    await downloadFile(options(path, file));
    expect(ranges).toEqual([`bytes=${keep}-`]);
    expect(readFileSync(path).equals(file.bytes)).toBe(true);
  });

  it('a part file altered on disk is discarded and fetched again from the start', async () => {
    const file = encrypted(noise(200_000, 6));
    body = file.bytes;
    const path = target();
    const bad = Buffer.from(file.bytes.subarray(0, 100_000));
    bad[50_000]! ^= 1;
    writeFileSync(`${path}.part`, bad);
    ranges.length = 0;
    await downloadFile(options(path, file));
    expect(ranges).toEqual(['']);
    expect(readFileSync(path).equals(file.bytes)).toBe(true);
  });

  it.each([
    ['a flipped bit in a chunk', (b: Buffer) => { const c = Buffer.from(b); c[100_000]! ^= 0x10; return c; }, /chunk 1 failed/],
    ['a changed header', (b: Buffer) => { const c = Buffer.from(b); c[20]! ^= 1; return c; }, /failed authentication/],
    ['two chunks swapped', (b: Buffer) => { const c = Buffer.from(b); const s = 65536 + 16; const one = Buffer.from(c.subarray(32, 32 + s)); c.copy(c, 32, 32 + s, 32 + 2 * s); one.copy(c, 32 + s); return c; }, /failed authentication/],
  ])('%s: FILE_DAMAGED, and nothing is kept', async (_what, alter, message) => {
    const file = encrypted(noise(250_000, 7));
    body = alter(file.bytes);
    claimedLength = undefined;
    const path = target();
    const got: number[] = [];
    await expect(downloadFile(options(path, file, { onVerified: (b) => got.push(b) }))).rejects.toMatchObject({ code: 'FILE_DAMAGED', message: expect.stringMatching(message) });
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('a server that ends the file early (a complete, shorter answer): FILE_DAMAGED', async () => {
    const file = encrypted(noise(250_000, 8));
    body = file.bytes.subarray(0, 150_000);
    const path = target();
    await expect(downloadFile(options(path, file))).rejects.toMatchObject({ code: 'FILE_DAMAGED' });
    expect(existsSync(path) || existsSync(`${path}.part`)).toBe(false);
  });

  it('a server that sends more than the file: FILE_DAMAGED', async () => {
    const file = encrypted(noise(100_000, 9));
    body = Buffer.concat([file.bytes, Buffer.from('extra bytes after the last chunk')]);
    const path = target();
    await expect(downloadFile(options(path, file))).rejects.toMatchObject({ code: 'FILE_DAMAGED' });
    expect(existsSync(path) || existsSync(`${path}.part`)).toBe(false);
  });

  it('another valid file under the same key (every chunk verifies) fails on the digest', async () => {
    const plain = noise(90_000, 10);
    const file = encrypted(plain);
    // Same key, other salt: a different ciphertext whose chunks all authenticate.
    const { ChunkSealer } = await import('../../../shared/node/attachments/file-cipher');
    const sealer = new ChunkSealer(file.key, new Uint8Array(16).fill(9));
    const chunks = [Buffer.from(sealer.header), sealer.seal(0, plain.subarray(0, 65536), false), sealer.seal(1, plain.subarray(65536), true)];
    body = Buffer.concat(chunks);
    expect(body.length).toBe(file.bytes.length);
    expect(createHash('sha256').update(body).digest('hex')).not.toBe(file.digest);
    const path = target();
    await expect(downloadFile(options(path, file))).rejects.toMatchObject({ code: 'FILE_DAMAGED', message: expect.stringMatching(/digest/) });
    expect(existsSync(path)).toBe(false);
  });

  it('a bad token is asked for again once; a refused one fails', async () => {
    const file = encrypted(noise(1000, 11));
    body = file.bytes;
    let asked = 0;
    const path = target();
    await downloadFile(options(path, file, { authorize: async () => ({ token: asked++ === 0 ? 'expired' : 't', url }) }));
    expect(asked).toBe(2);
    await expect(downloadFile(options(target(), file, { authorize: async () => ({ token: 'bad', url }) }))).rejects.toMatchObject({ status: 401 });
  });
});
