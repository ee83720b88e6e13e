import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheFilePath, openCache } from '../../../electron/core/cache';
import { latestSchemaVersion } from '../../../electron/core/cache/migrations';
import { SyncDomain } from '../../../shared/protocol';
import { ME, now, TempDir, wireMessage } from './fixtures';

const dirs: TempDir[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.dispose()));
function tempDir(): TempDir {
  const d = new TempDir();
  dirs.push(d);
  return d;
}

/** A cache with history and two unsent messages, closed. */
function populated(dir: string, messages = 200): void {
  const { cache } = openCache({ dir, userId: ME, now });
  cache.transaction(() => {
    for (let s = 1; s <= messages; s++) cache.messages.applyServerMessage(wireMessage('u:2', s, { text: `history ${s} ${'x'.repeat(200)}` }));
    for (const id of ['unsent-1', 'unsent-2']) {
      cache.messages.insertOutgoing({ id, key: 'g:8', text: `please deliver ${id}`, createdAt: 5, mentions: [3] });
      cache.outbox.add({ clientMsgId: id, key: 'g:8', payload: { text: `please deliver ${id}`, mentions: [3], replyToMsgId: 0 }, createdAt: 5 });
    }
  });
  cache.syncState.setCursor(SyncDomain.MESSAGES, 200);
  cache.close();
}

function asideFiles(dir: string): string[] {
  return readdirSync(dirname(cacheFilePath(dir, ME))).filter((f) => f.includes('.corrupt-'));
}

describe('opening', () => {
  it('creates <dir>/accounts/<userId>/cache.db in WAL mode and reopens it with its data', () => {
    const d = tempDir();
    populated(d.path, 3);
    const r = openCache({ dir: d.path, userId: ME, now });
    expect(r.recovered).toBeUndefined();
    expect(r.cache.path).toBe(join(d.path, 'accounts', '1', 'cache.db'));
    expect(r.cache.outbox.list().map((e) => e.clientMsgId)).toEqual(['unsent-1', 'unsent-2']);
    expect(r.cache.syncState.getCursor(SyncDomain.MESSAGES)).toBe(200);
    expect(r.cache.schemaVersion()).toBe(latestSchemaVersion);
    r.cache.close();
  });
});

describe('a corrupt cache file', () => {
  it('garbage bytes: moved aside (not deleted), fresh cache, outbox noted as unreadable', () => {
    const d = tempDir();
    const path = cacheFilePath(d.path, ME);
    populated(d.path);
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    const r = openCache({ dir: d.path, userId: ME, now });
    expect(r.recovered).toMatchObject({ error: { code: 'CACHE_CORRUPT' }, recoveredOutbox: 0, outboxUnreadable: true });
    expect(existsSync(r.recovered!.movedTo)).toBe(true);
    expect(readFileSync(r.recovered!.movedTo).subarray(0, 4)).toEqual(Buffer.alloc(4, 0x5a));
    expect(r.cache.syncState.getCursor(SyncDomain.MESSAGES)).toBe(0);
    expect(r.cache.messages.page('u:2', { limit: 5 }).messages).toEqual([]);
    // The fresh cache works.
    r.cache.messages.applyServerMessage(wireMessage('u:2', 1));
    r.cache.close();
    expect(openCache({ dir: d.path, userId: ME, now }).recovered).toBeUndefined();
  });

  it('a non-database file (text): moved aside with its -wal/-shm', () => {
    const d = tempDir();
    const path = cacheFilePath(d.path, ME);
    populated(d.path, 1);
    writeFileSync(path, 'this is not a database, just some text that happens to be here\n'.repeat(100));
    writeFileSync(`${path}-wal`, 'junk wal');
    const r = openCache({ dir: d.path, userId: ME, now });
    expect(r.recovered?.movedTo).toMatch(/cache\.db\.corrupt-/);
    expect(existsSync(`${r.recovered!.movedTo}-wal`)).toBe(true);
    expect(asideFiles(d.path).length).toBeGreaterThanOrEqual(2);
    r.cache.close();
  });

  it('a truncated database: moved aside, the unsent outbox is recovered into the fresh cache and a JSON file', () => {
    const d = tempDir();
    const path = cacheFilePath(d.path, ME);
    populated(d.path);
    const size = statSync(path).size;
    truncateSync(path, Math.floor(size / 2));
    const r = openCache({ dir: d.path, userId: ME, now });
    expect(r.recovered).toBeDefined();
    expect(r.recovered!.outboxUnreadable).toBeUndefined();
    expect(r.recovered!.recoveredOutbox).toBe(2);
    const entries = r.cache.outbox.list();
    expect(entries.map((e) => [e.clientMsgId, e.state, e.attempts, e.payload.text, e.payload.mentions])).toEqual([
      ['unsent-1', 'queued', 0, 'please deliver unsent-1', [3]],
      ['unsent-2', 'queued', 0, 'please deliver unsent-2', [3]],
    ]);
    // The messages are visible again, pending, in their conversation.
    expect(r.cache.messages.page('g:8', { limit: 10 }).messages.map((m) => [m.id, m.status])).toEqual([
      ['unsent-1', 'pending'],
      ['unsent-2', 'pending'],
    ]);
    const json = JSON.parse(readFileSync(r.recovered!.recoveryFile!, 'utf8')) as { entries: { clientMsgId: string }[] };
    expect(json.entries.map((e) => e.clientMsgId)).toEqual(['unsent-1', 'unsent-2']);
    r.cache.close();
  });

  it('a page overwritten in the middle (malformed): caught by quick_check on open', () => {
    const d = tempDir();
    const path = cacheFilePath(d.path, ME);
    populated(d.path);
    const buf = readFileSync(path);
    // Keep the header page intact, smash a few interior pages.
    buf.fill(0xa5, 4096 * 3, 4096 * 6);
    writeFileSync(path, buf);
    const r = openCache({ dir: d.path, userId: ME, now });
    expect(r.recovered?.error.code).toBe('CACHE_CORRUPT');
    expect(existsSync(r.recovered!.movedTo)).toBe(true);
    r.cache.close();
  });

  it('a schema newer than this app is moved aside too, never overwritten', () => {
    const d = tempDir();
    populated(d.path, 1);
    const r1 = openCache({ dir: d.path, userId: ME, now });
    (r1.cache as unknown as { ctx: { db: { raw: { pragma(s: string): void } } } }).ctx.db.raw.pragma('user_version = 99');
    r1.cache.close();
    const r2 = openCache({ dir: d.path, userId: ME, now });
    expect(r2.recovered?.error.message).toMatch(/newer/);
    expect(r2.recovered?.recoveredOutbox).toBe(2);
    r2.cache.close();
  });

  it('schema page destroyed: a raw page scan recovers the outbox, long (overflowing) texts included', () => {
    const d = tempDir();
    const path = cacheFilePath(d.path, ME);
    populated(d.path);
    const { cache } = openCache({ dir: d.path, userId: ME, now });
    const long = '很长的消息'.repeat(1000); // 15,000 bytes: spills to overflow pages
    cache.outbox.add({ clientMsgId: 'long-1', key: 'u:2', payload: { text: long, mentions: [], replyToMsgId: 0 }, createdAt: 9 });
    cache.close();
    const buf = readFileSync(path);
    buf.fill(0, 100, 4096); // page 1 below the header: the schema b-tree is gone
    writeFileSync(path, buf);
    const r = openCache({ dir: d.path, userId: ME, now });
    expect(r.recovered?.recoveredOutbox).toBe(3);
    expect(r.cache.outbox.get('long-1')?.payload.text).toBe(long);
    expect(r.cache.messages.get('long-1')).toMatchObject({ status: 'pending', text: long });
    r.cache.close();
  });

  it('outbox rows still only in the -wal (crash before checkpoint) are recovered too', () => {
    const d = tempDir();
    populated(d.path, 5);
    // Leave a connection open with a fresh outbox row in the WAL, and snapshot the files as a crash would leave them.
    const { cache } = openCache({ dir: d.path, userId: ME, now });
    cache.outbox.add({ clientMsgId: 'in-wal', key: 'u:2', payload: { text: 'only in the wal', mentions: [], replyToMsgId: 0 }, createdAt: 20 });
    const src = cacheFilePath(d.path, ME);
    const dst = cacheFilePath(d.path, 2);
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
    copyFileSync(`${src}-wal`, `${dst}-wal`);
    cache.close();
    const buf = readFileSync(dst);
    buf.fill(0, 100, 4096);
    writeFileSync(dst, buf);
    const r = openCache({ dir: d.path, userId: 2, now });
    expect(r.recovered).toBeDefined();
    expect(r.cache.outbox.list().map((e) => e.clientMsgId).sort()).toEqual(['in-wal', 'unsent-1', 'unsent-2']);
    r.cache.close();
  });

  it('a damaged messages page: not part of the quick check on open, found by checkIntegrity, moved aside by a full open', () => {
    const d = tempDir();
    const path = cacheFilePath(d.path, ME);
    populated(d.path);
    const probe = new Database(path, { readonly: true });
    const root = (probe.prepare(`SELECT rootpage FROM sqlite_schema WHERE name = 'messages'`).get() as { rootpage: number }).rootpage;
    const pageSize = probe.pragma('page_size', { simple: true }) as number;
    probe.close();
    const buf = readFileSync(path);
    buf.fill(0x33, (root - 1) * pageSize + 8, root * pageSize);
    writeFileSync(path, buf);

    const quick = openCache({ dir: d.path, userId: ME, now });
    expect(quick.recovered).toBeUndefined();
    expect(quick.cache.checkIntegrity().length).toBeGreaterThan(0);
    quick.cache.close();
    const full = openCache({ dir: d.path, userId: ME, now, integrityCheck: 'full' });
    expect(full.recovered?.error.code).toBe('CACHE_CORRUPT');
    expect(full.recovered?.recoveredOutbox).toBe(2);
    expect(full.cache.checkIntegrity()).toEqual([]);
    full.cache.close();
  });
});
