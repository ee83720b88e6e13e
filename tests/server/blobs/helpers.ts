/** Helpers for the blob service tests: a service on a temp data dir, encrypted test files, raw tus requests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pino from 'pino';
import type { Database } from 'better-sqlite3';
import type { BlobIndex } from '../../../server/blobs/blob-index';
import { StoreBlobIndex } from '../../../server/blobs/store-blob-index';
import { Runner } from '../../../server/services/runner';
import { nullNotifier } from '../../../server/services/notifier';
import { SqliteStore } from '../../../server/storage/sqlite-store';
import { DigestStream, EncryptStream, generateFileKey } from '../../../shared/node/attachments/file-cipher';
import type { BlobBackend } from '../../../server/blobs/backend';
import { BlobService, type BlobServiceOptions } from '../../../server/blobs/blob-service';
import { LocalBlobBackend } from '../../../server/blobs/local-backend';
import { TokenSigner, type TransferGrant } from '../../../server/blobs/tokens';

export interface Encrypted {
  key: Uint8Array;
  bytes: Buffer;
  digest: string;
}

export async function encrypt(plain: Uint8Array): Promise<Encrypted> {
  const key = generateFileKey();
  const digest = new DigestStream();
  const parts: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from(plain)]), new EncryptStream(key), digest, async (s: AsyncIterable<Buffer>) => {
    for await (const p of s) parts.push(p);
  });
  return { key, bytes: Buffer.concat(parts), digest: digest.digest() };
}

export interface ServiceHarness {
  service: BlobService;
  base: string;
  dir: string;
  db: Database;
  store: SqliteStore;
  index: BlobIndex;
  backend: BlobBackend;
  signer: TokenSigner;
  now: { value: number };
  token(grant: Partial<TransferGrant> & { userId: number; digest: string; op: 'up' | 'down' }): string;
  close(): Promise<void>;
}

export async function startService(options: Partial<BlobServiceOptions> & { backend?: BlobBackend; stagingDir?: string } = {}): Promise<ServiceHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'tern-blobs-'));
  const store = SqliteStore.open(join(dir, 'tern.db'), { durability: 'off' });
  const now = { value: 1_700_000_000_000 };
  const index = new StoreBlobIndex(new Runner(store, nullNotifier, { now: () => now.value }));
  const backend = options.backend ?? new LocalBlobBackend(join(dir, 'blobs'));
  const signer = new TokenSigner(new Uint8Array(32).fill(7));
  const service = new BlobService(
    {
      host: '127.0.0.1',
      port: 0,
      stagingDir: options.stagingDir ?? join(dir, 'uploads'),
      uploadExpiryMs: 24 * 3600_000,
      maxBlobSize: 200 * 1024 * 1024,
      quotaBytes: 1024 * 1024 * 1024,
      transfersPerUser: 4,
      ...options,
    },
    backend,
    index,
    signer,
    { now: () => now.value },
    pino({ level: 'silent' }),
  );
  const address = await service.listen();
  return {
    service,
    base: `http://127.0.0.1:${address.port}`,
    dir,
    db: store.db,
    store,
    index,
    backend,
    signer,
    now,
    token: (g) => signer.sign({ size: 0, expiresAt: now.value + 60_000, ...g }),
    async close() {
      await service.close();
      await backend.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const tusHeaders = { 'Tus-Resumable': '1.0.0' };

export async function tusCreate(base: string, token: string, size: number, digest: string): Promise<Response> {
  return fetch(`${base}/v1/uploads`, {
    method: 'POST',
    headers: { ...tusHeaders, Authorization: `Bearer ${token}`, 'Upload-Length': String(size), 'Upload-Metadata': `digest ${Buffer.from(digest).toString('base64')}` },
  });
}

export async function tusPatch(url: string, token: string, offset: number, body: Uint8Array): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...tusHeaders, Authorization: `Bearer ${token}`, 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    body: Buffer.from(body),
  });
}

export async function tusOffset(url: string, token: string): Promise<Response> {
  return fetch(url, { method: 'HEAD', headers: { ...tusHeaders, Authorization: `Bearer ${token}` } });
}

export async function errorCode(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error: string }).error;
  } catch {
    return `non-json: ${res.status} ${text}`;
  }
}
