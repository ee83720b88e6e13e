/**
 * The cache at rest: encrypted in SQLCipher 4 format (checked byte for byte
 * by an independent decryption of page 1 with node:crypto, from SQLCipher's
 * published design), nothing readable in the files, a plaintext v1 cache
 * (a real one, tests/fixtures/cache-v1) encrypted in place without losing its
 * outbox, a crash during that encryption survived, a key that cannot read the
 * cache leading to a rebuild (never a crash), the device token sealed, and
 * the whole path with a real core and server: the outbox written by the old
 * version is delivered.
 */
import { spawn } from 'node:child_process';
import { createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerEndpoint } from '../../shared/ipc';
import { openCache } from '../../electron/core/cache/index';
import { cacheFileState, applyKey } from '../../electron/core/cache/encryption';
import { cacheKey, keyFileDataKey, newDataKey } from '../../electron/core/data-key';
import { createCore, type ClientCore } from '../../electron/core/index';
import { inProcessServer, repoRoot, tempDir } from './helpers/server';
import { waitFor, waitOnline } from './helpers/clients';

const fixture = resolve(import.meta.dirname, '../fixtures/cache-v1');
const outboxTexts = ['Written on the train, no network: 1', '火车上写的第二条', 'and a third, with a reply-less mention'];
const dirs: string[] = [];
const cores: ClientCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.dispose();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the v1 client data directory (and, if asked, of its server's). */
function copyFixture(): { dir: string; client: string; server: string } {
  const dir = tempDir('v1');
  dirs.push(dir);
  cpSync(join(fixture, 'client'), join(dir, 'client'), { recursive: true });
  cpSync(join(fixture, 'server'), join(dir, 'server'), { recursive: true });
  return { dir, client: join(dir, 'client'), server: join(dir, 'server') };
}

/** The fixture's server ran on another port: points the stored account at this one. */
function pointAt(client: string, endpoint: ServerEndpoint): void {
  const file = join(client, 'accounts.json');
  const accounts = JSON.parse(readFileSync(file, 'utf8')) as { accounts: Array<{ endpoints: ServerEndpoint[]; server: string }> };
  for (const a of accounts.accounts) {
    a.endpoints = [endpoint];
    a.server = `${endpoint.host}:${endpoint.port}`;
  }
  writeFileSync(file, JSON.stringify(accounts));
}

const cacheBytes = (file: string) => Buffer.concat(['', '-wal'].filter((s) => existsSync(file + s)).map((s) => readFileSync(file + s)));

/**
 * SQLCipher 4 with a raw key, from its design document: page 1 starts with the
 * 16-byte salt; bytes 16..4016 are AES-256-CBC ciphertext under the key; then
 * the 16-byte IV and the HMAC-SHA512 of (ciphertext | IV | page number LE)
 * under PBKDF2-HMAC-SHA512(key, salt ^ 0x3a, 2 iterations).
 */
function decryptSqlcipher4Page1(file: Buffer, key: Uint8Array): Buffer {
  const page = file.subarray(0, 4096);
  const salt = page.subarray(0, 16);
  const ciphertext = page.subarray(16, 4096 - 80);
  const iv = page.subarray(4096 - 80, 4096 - 64);
  const mac = page.subarray(4096 - 64);
  const hmacKey = pbkdf2Sync(Buffer.from(key), Buffer.from(salt.map((b) => b ^ 0x3a)), 2, 32, 'sha512');
  const pgno = Buffer.alloc(4);
  pgno.writeUInt32LE(1);
  expect(createHmac('sha512', hmacKey).update(ciphertext).update(iv).update(pgno).digest().equals(mac)).toBe(true);
  const decipher = createDecipheriv('aes-256-cbc', Buffer.from(key), iv);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

describe('an encrypted cache', () => {
  it('is SQLCipher 4 on disk, with nothing readable, and opens again with its key', () => {
    const dir = tempDir('enc');
    dirs.push(dir);
    const key = newDataKey();
    const { cache } = openCache({ dir, userId: 9, key });
    cache.enqueueOutgoing({ id: 'm1', key: 'u:2', text: 'a very private sentence 非常私密', createdAt: 1 });
    const file = join(dir, 'accounts/9/cache.db');
    expect(cacheFileState(file)).toBe('encrypted');
    cache.close();
    const bytes = cacheBytes(file);
    for (const needle of ['a very private sentence', '非常私密', 'SQLite format 3', 'CREATE TABLE']) expect(bytes.includes(Buffer.from(needle)), needle).toBe(false);
    // Page 1 decrypts, by SQLCipher 4's rules, to SQLite's header: page size 4096, WAL (2, 2), 80 reserved bytes.
    const page1 = decryptSqlcipher4Page1(readFileSync(file), key);
    expect([page1.readUInt16BE(0), page1[2], page1[3], page1[4]]).toEqual([4096, 2, 2, 80]);
    const again = openCache({ dir, userId: 9, key });
    expect(again.recovered).toBeUndefined();
    expect(again.cache.outbox.list().map((e) => e.payload.text)).toEqual(['a very private sentence 非常私密']);
    again.cache.close();
  });

  it('a key that cannot read it: moved aside and rebuilt, reported as a lost key (never a crash)', () => {
    const dir = tempDir('enc');
    dirs.push(dir);
    openCache({ dir, userId: 9, key: newDataKey() }).cache.close();
    const other = openCache({ dir, userId: 9, key: newDataKey(), keyReplaced: true });
    expect(other.recovered).toMatchObject({ error: { code: 'CACHE_KEY_LOST' }, outboxUnreadable: true });
    expect(existsSync(other.recovered!.movedTo)).toBe(true);
    other.cache.close();
    // Without knowing the key was replaced, it is reported as damage.
    const third = openCache({ dir, userId: 9, key: newDataKey() });
    expect(third.recovered?.error.code).toBe('CACHE_CORRUPT');
    third.cache.close();
  });
});

describe('a v1 plaintext cache (tests/fixtures/cache-v1)', () => {
  it('is encrypted in place, with every message and the whole outbox, still searchable', () => {
    const { client } = copyFixture();
    const file = join(client, 'accounts/1/cache.db');
    expect(cacheFileState(file)).toBe('plaintext');
    const key = cacheKey(newDataKey(), 1);
    const { cache, recovered } = openCache({ dir: client, userId: 1, key });
    expect(recovered).toBeUndefined();
    expect(cacheFileState(file)).toBe('encrypted');
    expect(cache.outbox.list().map((e) => e.payload.text)).toEqual(outboxTexts);
    expect(cache.search.search({ query: '发布', limit: 10 }).map((h) => h.snippet.map((p) => p.text).join(''))).toEqual([expect.stringContaining('周五发布')]);
    cache.close();
    expect(readdirSync(join(client, 'accounts/1')).sort()).toEqual(['cache.db']);
    expect(cacheBytes(file).includes(Buffer.from('火车上写的'))).toBe(false);
  });

  it('survives a crash in the middle of its encryption: plaintext rolled back, then encrypted, outbox intact', async () => {
    let sawInterrupted = false;
    for (let attempt = 0; attempt < 8; attempt++) {
      const { client } = copyFixture();
      const file = join(client, 'accounts/1/cache.db');
      // Make the file big enough that the encryption takes a while.
      const big = new Database(file);
      const insert = big.prepare(`INSERT INTO profiles (user_id, username, nickname, avatar, signature, updated_at) VALUES (?, ?, ?, ?, ?, 0)`);
      big.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(1000 + i, `user${i}`, `nick ${i}`.repeat(8), '', 'signature '.repeat(20));
      })();
      big.close();
      const key = cacheKey(newDataKey(), 1);
      // Another process encrypts, and is killed at some point of it.
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
        const { encryptInPlace } = await import(${JSON.stringify(join(repoRoot, 'electron/core/cache/encryption.ts'))});
        process.stdout.write('go\\n');
        encryptInPlace(${JSON.stringify(file)}, Buffer.from(${JSON.stringify(Buffer.from(key).toString('hex'))}, 'hex'), { info() {}, warn() {}, error() {} });
        process.stdout.write('done\\n');`], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise<void>((r) => child.stdout!.once('data', () => r()));
      // Killed as soon as the rekey's rollback journal has content: in the middle of the encryption, however
      // fast or slow the machine is (the journal exists only while the rekey transaction runs).
      let running = true;
      void exited.then(() => (running = false));
      const journal = `${file}-journal`;
      while (running && !(existsSync(journal) && statSync(journal, { throwIfNoEntry: false })?.size)) await new Promise((r) => setImmediate(r));
      child.kill('SIGKILL');
      await exited;
      if (existsSync(`${file}-journal`) && readFileSync(`${file}-journal`).length > 0) sawInterrupted = true;
      const { cache, recovered } = openCache({ dir: client, userId: 1, key });
      expect(recovered).toBeUndefined();
      expect(cacheFileState(file)).toBe('encrypted');
      expect(cache.outbox.list().map((e) => e.payload.text)).toEqual(outboxTexts);
      cache.close();
      if (sawInterrupted) break;
    }
    expect(sawInterrupted, 'no attempt was killed in the middle of the encryption').toBe(true);
  }, 180_000);

  it('a damaged plaintext cache still gives up its outbox, into a fresh encrypted cache', () => {
    const { client } = copyFixture();
    const file = join(client, 'accounts/1/cache.db');
    const bytes = readFileSync(file);
    bytes.fill(0x5a, 4096 * 3, 4096 * 5); // damage some pages in the middle
    writeFileSync(file, bytes);
    const { cache, recovered } = openCache({ dir: client, userId: 1, key: cacheKey(newDataKey(), 1), integrityCheck: 'full' });
    expect(recovered?.error.code).toBe('CACHE_CORRUPT');
    expect(cache.outbox.list().map((e) => e.payload.text).sort()).toEqual([...outboxTexts].sort());
    expect(cacheFileState(file)).toBe('encrypted');
    cache.close();
  });
});

describe('the whole core on a v1 data directory', () => {
  it('encrypts the cache, seals the token, signs in with it and delivers the old outbox once the server is back', async () => {
    const { client, server: serverDir } = copyFixture();
    expect(readFileSync(join(client, 'accounts.json'), 'utf8')).toContain('"deviceToken"');
    const { server, endpoint } = await inProcessServer(serverDir);
    try {
      pointAt(client, endpoint);

      const alice = await createCore({ dataDir: client, defaultServers: [endpoint], timings: { backoffInitialMs: 100, backoffMaxMs: 400 } });
      cores.push(alice);
      const text = readFileSync(join(client, 'accounts.json'), 'utf8');
      expect(text).not.toMatch(/"deviceToken"/);
      expect(text).toMatch(/"deviceTokenSealed": ?"v1\./);
      expect(existsSync(join(client, 'data.key'))).toBe(true);
      await alice.login({ username: 'alice' }); // with the (unsealed) stored token
      await waitOnline(alice);
      expect(cacheFileState(join(client, 'accounts/1/cache.db'))).toBe('encrypted');

      const bobDir = tempDir('bob');
      dirs.push(bobDir);
      const bob = await createCore({ dataDir: bobDir, defaultServers: [endpoint] });
      cores.push(bob);
      await bob.login({ username: 'bob', password: 'correct horse battery' });
      const conv = await waitFor(async () => (await bob.listConversations({})).items.find((c) => c.key === 'u:1'), 'the conversation with alice');
      await waitFor(async () => {
        const texts = (await bob.loadMessages({ key: conv.key, limit: 50 })).messages.map((m) => m.text);
        return outboxTexts.every((t) => texts.filter((x) => x === t).length === 1);
      }, 'the old outbox, each message once');
    } finally {
      await server.close();
    }
  });

  it('a lost data key: the cache is rebuilt from the server and the account asks for its password', async () => {
    const { client, server: serverDir } = copyFixture();
    const { server, endpoint } = await inProcessServer(serverDir);
    try {
      pointAt(client, endpoint);
      const first = await createCore({ dataDir: client, defaultServers: [endpoint] });
      await first.login({ username: 'alice' }); // opens (and encrypts) the cache under the first key
      await first.dispose();
      expect(cacheFileState(join(client, 'accounts/1/cache.db'))).toBe('encrypted');
      rmSync(join(client, 'data.key')); // the key is gone (as when the keychain entry is lost)
      const events: string[] = [];
      const again = await createCore({ dataDir: client, defaultServers: [endpoint] });
      cores.push(again);
      expect((await again.listAccounts({}))[0]).toMatchObject({ username: 'alice', canAutoLogin: false });
      await expect(again.login({ username: 'alice' })).rejects.toMatchObject({ code: 'PASSWORD_REQUIRED' });
      again.on('cacheRecovered', (p) => events.push(p.error.code));
      await again.login({ username: 'alice', password: 'correct horse battery' });
      await waitOnline(again);
      expect(events).toEqual(['CACHE_KEY_LOST']);
      const conv = await waitFor(async () => (await again.listConversations({})).items.find((c) => c.key === 'u:2'), 'history rebuilt from the server');
      expect((await again.loadMessages({ key: conv.key, limit: 50 })).messages.map((m) => m.text)).toContain('Got it, 谢谢！');
    } finally {
      await server.close();
    }
  });
});

describe('the key file (web shell, tests)', () => {
  it('is created 0600, read back, and replaced (reported) when damaged', () => {
    const dir = tempDir('key');
    dirs.push(dir);
    const first = keyFileDataKey(dir);
    expect(first).toMatchObject({ protection: 'key-file', replaced: false });
    expect(keyFileDataKey(dir).key).toEqual(first.key);
    writeFileSync(join(dir, 'data.key'), 'not a key');
    const next = keyFileDataKey(dir);
    expect(next.replaced).toBe(true);
    expect(next.key).not.toEqual(first.key);
    expect(readdirSync(dir).some((f) => f.startsWith('data.key.unreadable-'))).toBe(true);
  });

  it('a raw key opens the file with SQLCipher settings only (what `sqlcipher` users need to know)', () => {
    const dir = tempDir('enc');
    dirs.push(dir);
    const key = newDataKey();
    openCache({ dir, userId: 3, key }).cache.close();
    const raw = new Database(join(dir, 'accounts/3/cache.db'));
    applyKey(raw, key);
    expect(raw.pragma('cipher', { simple: true })).toBe('sqlcipher');
    expect((raw.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get() as { n: number }).n).toBeGreaterThan(5);
    raw.close();
  });
});
