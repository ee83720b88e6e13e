/**
 * The blob HTTP service over loopback: tus uploads (create, append, resume),
 * ranged downloads, tokens scoped to user and blob, quotas, the concurrent
 * transfer limit, and each kind of bad input. Real SQLite index, real files.
 */
import { existsSync, readdirSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRange } from '../../../server/blobs/blob-service';
import { encrypt, errorCode, startService, tusCreate, tusOffset, tusPatch, type ServiceHarness } from './helpers';

let h: ServiceHarness;
beforeEach(async () => {
  h = await startService();
});
afterEach(async () => {
  await h.close();
});

const plain = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);

async function upload(userId: number, bytes: Buffer, digest: string): Promise<Response> {
  const token = h.token({ userId, digest, op: 'up', size: bytes.length });
  const created = await tusCreate(h.base, token, bytes.length, digest);
  expect(created.status).toBe(201);
  const url = new URL(created.headers.get('location')!, h.base).toString();
  return tusPatch(url, token, 0, bytes);
}

describe('upload and download', () => {
  it('stores an upload under its digest, then serves it whole and by range', async () => {
    const file = await encrypt(plain(300_000));
    const res = await upload(1, file.bytes, file.digest);
    expect(res.status).toBe(204);
    expect(await h.index.get(file.digest)).toMatchObject({ size: file.bytes.length, uploaderId: 1 });
    expect(existsSync(join(h.dir, 'blobs', file.digest.slice(0, 2), file.digest))).toBe(true);
    // The staging area is empty again.
    expect(readdirSync(join(h.dir, 'uploads')).filter((n) => !n.startsWith('.'))).toEqual([]);

    const down = h.token({ userId: 2, digest: file.digest, op: 'down' });
    const whole = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}` } });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(file.bytes)).toBe(true);

    const part = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}`, Range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${file.bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(file.bytes.subarray(1000, 2000))).toBe(true);

    const tail = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}`, Range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(file.bytes.subarray(file.bytes.length - 10))).toBe(true);

    const outside = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}`, Range: `bytes=${file.bytes.length}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe(`bytes */${file.bytes.length}`);
  });

  it('resumes an upload cut off in the middle: only the rest is sent again', async () => {
    const file = await encrypt(plain(200_000));
    const token = h.token({ userId: 1, digest: file.digest, op: 'up', size: file.bytes.length });
    const created = await tusCreate(h.base, token, file.bytes.length, file.digest);
    const url = new URL(created.headers.get('location')!, h.base).toString();
    const half = Math.floor(file.bytes.length / 2);
    expect((await tusPatch(url, token, 0, file.bytes.subarray(0, half))).status).toBe(204);
    const head = await tusOffset(url, token);
    expect(head.headers.get('upload-offset')).toBe(String(half));
    expect(await h.index.get(file.digest)).toBeUndefined();
    // A wrong offset is refused without touching the upload.
    expect((await tusPatch(url, token, 10, file.bytes.subarray(10))).status).toBe(409);
    expect((await tusPatch(url, token, half, file.bytes.subarray(half))).status).toBe(204);
    expect(await h.index.get(file.digest)).toBeDefined();
    // Creating it again is refused: it is stored already.
    const again = await tusCreate(h.base, token, file.bytes.length, file.digest);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('already-stored');
  });

  it('a zero-byte file is a valid (48-byte) blob', async () => {
    const file = await encrypt(new Uint8Array(0));
    expect(file.bytes.length).toBe(48);
    expect((await upload(1, file.bytes, file.digest)).status).toBe(204);
    const down = h.token({ userId: 1, digest: file.digest, op: 'down' });
    const res = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}` } });
    expect(Buffer.from(await res.arrayBuffer()).equals(file.bytes)).toBe(true);
  });
});

describe('bad input', () => {
  it('bytes that do not have the announced digest are refused and nothing is stored', async () => {
    const file = await encrypt(plain(70_000));
    const other = await encrypt(plain(70_000)); // same size, another key: another digest
    const res = await upload(1, other.bytes, file.digest);
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe('digest-mismatch');
    expect(await h.index.get(file.digest)).toBeUndefined();
    expect(await h.backend.stat(file.digest)).toBeUndefined();
    expect(readdirSync(join(h.dir, 'uploads')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('a size other than the token names is refused', async () => {
    const file = await encrypt(plain(1000));
    const token = h.token({ userId: 1, digest: file.digest, op: 'up', size: file.bytes.length });
    const res = await tusCreate(h.base, token, file.bytes.length + 1, file.digest);
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe('size-mismatch');
  });

  it('tokens: missing, forged, expired, for another user, for another blob, for the other direction', async () => {
    const file = await encrypt(plain(5000));
    expect((await upload(1, file.bytes, file.digest)).status).toBe(204);
    const url = `${h.base}/v1/blobs/${file.digest}`;
    const get = (token?: string) => fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });

    let res = await get();
    expect([res.status, await errorCode(res)]).toEqual([401, 'token-missing']);
    const good = h.token({ userId: 2, digest: file.digest, op: 'down' });
    const forged = good.slice(0, -3) + (good.endsWith('AAA') ? 'BBB' : 'AAA');
    res = await get(forged);
    expect([res.status, await errorCode(res)]).toEqual([401, 'token-invalid']);
    res = await get(h.token({ userId: 2, digest: file.digest, op: 'down', expiresAt: h.now.value - 1 }));
    expect([res.status, await errorCode(res)]).toEqual([401, 'token-expired']);
    res = await get(h.token({ userId: 2, digest: 'a'.repeat(64), op: 'down' }));
    expect([res.status, await errorCode(res)]).toEqual([403, 'token-scope']);
    res = await get(h.token({ userId: 2, digest: file.digest, op: 'up' }));
    expect([res.status, await errorCode(res)]).toEqual([403, 'token-scope']);
    // Time passes: the same token expires.
    h.now.value += 120_000;
    res = await get(good);
    expect([res.status, await errorCode(res)]).toEqual([401, 'token-expired']);
  });

  it("an upload token of another user cannot append to or query someone else's upload", async () => {
    const file = await encrypt(plain(100_000));
    const mine = h.token({ userId: 1, digest: file.digest, op: 'up', size: file.bytes.length });
    const created = await tusCreate(h.base, mine, file.bytes.length, file.digest);
    const url = new URL(created.headers.get('location')!, h.base).toString();
    expect(url.endsWith(`/1-${file.digest}`)).toBe(true);
    const theirs = h.token({ userId: 2, digest: file.digest, op: 'up', size: file.bytes.length });
    let res = await tusPatch(url, theirs, 0, file.bytes);
    expect([res.status, await errorCode(res)]).toEqual([403, 'token-scope']);
    res = await tusOffset(url, theirs);
    expect(res.status).toBe(403);
    expect(await h.index.get(file.digest)).toBeUndefined();
  });

  it('path-like and malformed blob names never reach the file system', async () => {
    const token = h.token({ userId: 1, digest: 'b'.repeat(64), op: 'down' });
    for (const path of ['/v1/blobs/..%2F..%2Fserver.key', '/v1/blobs/../../tern.db', `/v1/blobs/${'b'.repeat(63)}`, '/v1/uploads/..%2Ftern.db']) {
      const res = await fetch(`${h.base}${path}`, { headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' } });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
  });

  it('the quota: an upload beyond it is refused before a byte is stored', async () => {
    await h.close();
    h = await startService({ quotaBytes: 150_000 });
    const first = await encrypt(plain(100_000));
    expect((await upload(1, first.bytes, first.digest)).status).toBe(204);
    const second = await encrypt(plain(100_000));
    const token = h.token({ userId: 1, digest: second.digest, op: 'up', size: second.bytes.length });
    const res = await tusCreate(h.base, token, second.bytes.length, second.digest);
    expect([res.status, await errorCode(res)]).toEqual([403, 'quota-exceeded']);
    // Another user has their own quota.
    expect((await upload(2, second.bytes, second.digest)).status).toBe(204);
  });

  it('more concurrent transfers than allowed get 429 with Retry-After; others are not affected', async () => {
    await h.close();
    h = await startService({ transfersPerUser: 2 });
    // 16 MiB: more than loopback socket buffers hold, so a download whose reader pauses stays open.
    const file = await encrypt(new Uint8Array(16 * 1024 * 1024).fill(3));
    expect((await upload(1, file.bytes, file.digest)).status).toBe(204);
    const down = h.token({ userId: 1, digest: file.digest, op: 'down' });
    // Hold two downloads open by not reading their bodies.
    const held: ClientRequest[] = [];
    const started = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<void>((resolve) => {
            const req = request(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}` } }, (res) => {
              res.pause();
              resolve();
            });
            held.push(req);
            req.end();
          }),
      ),
    );
    expect(started).toHaveLength(2);
    const third = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}` } });
    expect([third.status, third.headers.get('retry-after'), await errorCode(third)]).toEqual([429, '1', 'too-many-transfers']);
    const otherUser = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${h.token({ userId: 2, digest: file.digest, op: 'down' })}`, Range: 'bytes=0-99' } });
    expect(otherUser.status).toBe(206);
    await otherUser.arrayBuffer();
    for (const req of held) req.destroy();
    // Once they end, the user may transfer again.
    await new Promise((r) => setTimeout(r, 100));
    const later = await fetch(`${h.base}/v1/blobs/${file.digest}`, { headers: { Authorization: `Bearer ${down}`, Range: 'bytes=0-99' } });
    expect(later.status).toBe(206);
    await later.arrayBuffer();
  });
});

describe('parseRange', () => {
  it('parses the forms of RFC 9110 and refuses ranges outside the blob', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-5', 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
  });
});
