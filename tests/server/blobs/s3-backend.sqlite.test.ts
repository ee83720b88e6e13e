/**
 * The S3 backend over HTTP against a real S3-compatible server started here:
 * s3rver (npm, MIT; pure JS, so it installs with `npm ci` on any machine; Debian
 * packages no S3 server short of Ceph's RADOS gateway, and MinIO is AGPL and not
 * in either registry). It listens on a free loopback port with a temp directory,
 * and checks SigV4 signatures like S3.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError } from '../../../server/blobs/backend';
import { S3BlobBackend } from '../../../server/blobs/s3-backend';
import { Command } from '../../../shared/protocol';
import { removeDir, startTestServer } from '../helpers/server';
import { encrypt, startService, tusCreate, tusPatch } from './helpers';

let s3: S3rver;
let dir: string;
let endpoint: string;

const backend = (prefix = 'blobs/') =>
  new S3BlobBackend({ endpoint, region: 'us-east-1', bucket: 'tern', prefix, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tern-s3-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'tern', configs: [] }] });
  const address = await s3.run();
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('S3 backend', () => {
  it('stores, reads whole and by range, stats, lists and deletes objects', async () => {
    const b = backend();
    const digest = '1'.repeat(64);
    const file = join(dir, 'staged');
    writeFileSync(file, 'hello, object storage');
    await b.commit(digest, file, 21);
    expect(await b.stat(digest)).toMatchObject({ digest, size: 21 });
    expect(await text(await b.read(digest))).toBe('hello, object storage');
    expect(await text(await b.read(digest, { start: 7, end: 12 }))).toBe('object');
    const listed = [];
    for await (const item of b.list()) listed.push(item.digest);
    expect(listed).toContain(digest);
    await b.delete(digest);
    expect(await b.stat(digest)).toBeUndefined();
    await expect(b.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
    await b.close();
  });

  it('lists past one page', async () => {
    const b = new S3BlobBackend({ endpoint, region: 'us-east-1', bucket: 'tern', prefix: 'many/', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true, listPageSize: 7 });
    const file = join(dir, 'tiny');
    writeFileSync(file, 'x');
    const digests = Array.from({ length: 23 }, (_, i) => i.toString(16).padStart(64, '0'));
    await Promise.all(digests.map((d) => b.commit(d, file, 1)));
    const listed = [];
    for await (const item of b.list()) listed.push(item.digest);
    expect(listed.sort()).toEqual(digests.sort());
    await b.close();
  });

  it('a missing bucket fails loudly', async () => {
    const b = new S3BlobBackend({ endpoint, region: 'us-east-1', bucket: 'no-such-bucket', prefix: '', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    const file = join(dir, 'staged2');
    writeFileSync(file, 'x');
    await expect(b.commit('2'.repeat(64), file, 1)).rejects.toThrow(/bucket/i);
    await b.close();
  });

  it('serves the blob service: a tus upload lands in the bucket and downloads by range', async () => {
    const h = await startService({ backend: backend('svc/') });
    try {
      const enc = await encrypt(new Uint8Array(200_000).map((_, i) => i & 0xff));
      const token = h.token({ userId: 1, digest: enc.digest, op: 'up', size: enc.bytes.length });
      const created = await tusCreate(h.base, token, enc.bytes.length, enc.digest);
      expect((await tusPatch(new URL(created.headers.get('location')!, h.base).toString(), token, 0, enc.bytes)).status).toBe(204);
      expect(await h.backend.stat(enc.digest)).toMatchObject({ size: enc.bytes.length });
      const down = h.token({ userId: 1, digest: enc.digest, op: 'down' });
      const res = await fetch(`${h.base}/v1/blobs/${enc.digest}`, { headers: { Authorization: `Bearer ${down}`, Range: 'bytes=100-199' } });
      expect(res.status).toBe(206);
      expect(Buffer.from(await res.arrayBuffer()).equals(enc.bytes.subarray(100, 200))).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('a server configured for S3', () => {
  it('keeps attachments in the bucket, not in its data directory', async () => {
    const server = await startTestServer({ blobStorage: 's3', s3: { endpoint, region: 'us-east-1', bucket: 'tern', prefix: 'server/', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true } });
    const alice = await server.user('s3_alice');
    try {
      const enc = await encrypt(new Uint8Array(10_000).fill(9));
      const auth = await alice.call(Command.BLOB_UPLOAD_AUTH, { digest: enc.digest, cipherSize: BigInt(enc.bytes.length), plainSize: 10_000n });
      await tusCreate(server.blobUrl, auth.token, enc.bytes.length, enc.digest);
      expect((await tusPatch(auth.resumeUrl, auth.token, 0, enc.bytes)).status).toBe(204);
      expect(await backend('server/').stat(enc.digest)).toMatchObject({ size: enc.bytes.length });
      const down = await alice.call(Command.BLOB_DOWNLOAD_AUTH, { digest: enc.digest });
      const res = await fetch(down.url, { headers: { Authorization: `Bearer ${down.token}` } });
      expect(Buffer.from(await res.arrayBuffer()).equals(enc.bytes)).toBe(true);
    } finally {
      await alice.close();
      await server.close();
      removeDir(server.dataDir);
    }
  });
});
