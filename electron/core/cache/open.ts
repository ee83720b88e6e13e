/**
 * Opening the cache file of an account, and what happens when it is bad.
 *
 * A file that is not a database, is truncated, is malformed, fails `PRAGMA quick_check`
 * (of the small tables by default, of everything with integrityCheck 'full'),
 * or carries a newer schema than this app knows is never deleted: it is
 * renamed to `cache.db.corrupt-<time>` (with its -wal/-shm, renamed the same
 * way so SQLite tools can still open the pair), the unsent outbox is copied
 * out of it when it can be read (into the fresh cache, where the outbox
 * engine resends it: the server de-duplicates by client message id, and into
 * a JSON file next to the bad file), and a fresh cache is created. The caller
 * gets `recovered` and rebuilds from the server (all cursors are 0).
 *
 * Other failures (permissions, disk full, a locked file) are thrown as they
 * are: moving the file aside would not help and might lose data.
 *
 * With a key (always, in the app) the file is encrypted (./encryption.ts): a
 * plaintext cache from before is encrypted in place first; a file the key
 * cannot read is, like a damaged one, moved aside and rebuilt, reported as
 * CACHE_KEY_LOST when the caller knows its key was replaced (its outbox, if
 * any, cannot be read without the old key). Without a key (tests of the
 * cache itself) the file is plain SQLite.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { ConversationKey } from '../../../shared/ipc';
import type { CacheLogger, CacheRecovery, OpenCacheOptions, OpenCacheResult, OutboxEntry } from './api';
import { OpenedCache } from './cache';
import type { CacheContext } from './context';
import { CacheDb } from './db';
import { applyKey, cacheFileState, encryptInPlace, rollBackInterruptedEncryption } from './encryption';
import { migrate, SchemaTooNewError } from './migrations';
import { outboxFromRow } from './outbox';
import { scanOutbox, type RawOutboxRow } from './salvage';
import { silentLogger } from '../log';
import { blobsOf } from '../attachments/stored';

/** The file could be opened by SQLite but is not usable as our cache. */
export class CorruptCacheError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptCacheError';
  }
}

export function cacheFilePath(dir: string, userId: number): string {
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new Error(`invalid user id ${userId}`);
  return join(dir, 'accounts', String(userId), 'cache.db');
}

/** SQLite error codes (better-sqlite3's `code`) that mean the file's content is bad. */
function isCorruption(err: unknown): boolean {
  if (err instanceof CorruptCacheError || err instanceof SchemaTooNewError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_IOERR_SHORT_READ');
}

function configure(raw: Database.Database): void {
  raw.pragma('journal_mode = WAL');
  // FULL: a committed outbox row survives power loss too (the guide: nothing is lost silently).
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('temp_store = MEMORY');
  raw.pragma('cache_size = -32000'); // 32 MiB page cache
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks the 16-byte header before SQLite touches the file (and its -wal,
 * which SQLite may reset when the main file is not a database). An encrypted
 * file has no readable header: SQLite and the key judge it.
 */
function checkHeader(path: string, encrypted: boolean): void {
  if (encrypted) return;
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // a new cache
    throw err;
  }
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    if (n === 0) return; // empty: SQLite treats it as a new database
    if (n < 16 || !head.equals(SQLITE_MAGIC)) throw new CorruptCacheError('file is not a database');
    // A truncated file: shorter than the page count its header claims (when that count is valid).
    const h = Buffer.alloc(100);
    if (readSync(fd, h, 0, 100, 0) === 100) {
      const pageSize = h.readUInt16BE(16) === 1 ? 65536 : h.readUInt16BE(16);
      const pages = h.readUInt32BE(28);
      const valid = pages > 0 && h.readUInt32BE(24) === h.readUInt32BE(92);
      if (valid && fstatSync(fd).size < pages * pageSize) throw new CorruptCacheError(`file is truncated (${fstatSync(fd).size} bytes, header says ${pages} pages)`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Tables too large to verify on every start (seconds at 1M messages); the rest is checked in milliseconds. */
const LARGE_TABLES = new Set(['messages', 'messages_fts', 'messages_fts_data', 'messages_fts_idx', 'messages_fts_docsize', 'messages_fts_config']);

function quickCheck(raw: Database.Database, mode: 'quick' | 'full'): string[] {
  const problems = (arg: string): string[] =>
    (raw.pragma(`quick_check${arg}`) as { quick_check: string }[]).map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (mode === 'full') return problems('');
  // Reading the schema itself fails with SQLITE_CORRUPT when its pages are damaged.
  const tables = (raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND rootpage > 0`).all() as { name: string }[])
    .map((r) => r.name)
    .filter((n) => !LARGE_TABLES.has(n));
  return tables.flatMap((t) => problems(`("${t.replace(/"/g, '""')}")`));
}

function openChecked(path: string, mode: 'quick' | 'full', key?: Uint8Array): Database.Database {
  checkHeader(path, key !== undefined);
  const raw = new Database(path);
  try {
    if (key) applyKey(raw, key);
    configure(raw); // reading the header: SQLITE_NOTADB for garbage, or for a key that does not fit
    const problems = quickCheck(raw, mode);
    if (problems.length > 0) throw new CorruptCacheError(`quick_check failed: ${problems.slice(0, 3).join('; ')}`);
    migrate(raw);
    return raw;
  } catch (err) {
    raw.close();
    throw err;
  }
}

function moveAside(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  let target = `${path}.corrupt-${stamp}`;
  for (let i = 1; existsSync(target); i++) target = `${path}.corrupt-${stamp}-${i}`;
  renameSync(path, target);
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}

const KEY_RE = /^[ug]:[1-9][0-9]{0,15}$/;

/** Turns rows read from a bad file into entries, trusting nothing; they are queued again from scratch. */
function toEntries(rows: readonly RawOutboxRow[]): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  for (const r of rows) {
    if (typeof r.client_msg_id !== 'string' || !r.client_msg_id || typeof r.conv !== 'string' || !KEY_RE.test(r.conv)) continue;
    const e = outboxFromRow({
      client_msg_id: r.client_msg_id,
      conv: r.conv as ConversationKey,
      payload: typeof r.payload === 'string' ? r.payload : '',
      state: 'queued',
      attempts: 0,
      next_attempt_at: 0,
      created_at: typeof r.created_at === 'number' ? r.created_at : 0,
      last_error: null,
    });
    if (typeof e.payload.text !== 'string' || (!e.payload.text && !e.payload.attachments)) continue;
    out.push(e);
  }
  return out.sort((a, b) => a.createdAt - b.createdAt || (a.clientMsgId < b.clientMsgId ? -1 : 1));
}

/**
 * Reads the outbox of a bad file without writing to it: with SQLite if it
 * still can (with the key, if the file is encrypted), else by scanning its
 * pages (./salvage.ts; plaintext only). Undefined if neither found anything readable.
 */
function salvageOutbox(path: string, log: CacheLogger, key: Uint8Array | undefined): OutboxEntry[] | undefined {
  const encrypted = key !== undefined && cacheFileState(path) === 'encrypted';
  let raw: Database.Database | undefined;
  try {
    raw = new Database(path, { readonly: true, fileMustExist: true });
    if (encrypted) applyKey(raw, key);
    return toEntries(raw.prepare(`SELECT * FROM outbox`).all() as RawOutboxRow[]);
  } catch (err) {
    log.warn({ code: (err as { code?: unknown }).code }, 'cache: SQLite cannot read the outbox of the bad file; scanning its pages');
  } finally {
    try {
      raw?.close();
    } catch {
      // ignore
    }
  }
  if (encrypted) return undefined; // ciphertext pages hold nothing a scan could read
  const scanned = toEntries(scanOutbox(path));
  return scanned.length > 0 ? scanned : undefined;
}

/**
 * With a key: finishes an interrupted encryption, and encrypts a plaintext
 * cache (from before encryption) in place. A plaintext file that is itself
 * damaged is left to the recovery below (its outbox is salvaged in clear).
 */
function prepareEncrypted(path: string, key: Uint8Array, mode: 'quick' | 'full', log: CacheLogger): void {
  rollBackInterruptedEncryption(path, log);
  if (cacheFileState(path) !== 'plaintext') return;
  openChecked(path, mode).close(); // checks it and brings its schema up to date, in clear
  encryptInPlace(path, key, log);
}

export function openCache(options: OpenCacheOptions): OpenCacheResult {
  const log = options.log ?? silentLogger;
  const now = options.now ?? Date.now;
  const path = cacheFilePath(options.dir, options.userId);
  mkdirSync(join(options.dir, 'accounts', String(options.userId)), { recursive: true });

  const key = options.key;
  const mode = options.integrityCheck ?? 'quick';
  let raw: Database.Database;
  let recovered: CacheRecovery | undefined;
  let salvaged: OutboxEntry[] = [];
  try {
    if (key) prepareEncrypted(path, key, mode, log);
    raw = openChecked(path, mode, key);
  } catch (err) {
    if (!isCorruption(err)) throw err;
    // A file the key cannot read looks just like a damaged one; the caller knows if its key changed.
    const keyLost = key !== undefined && options.keyReplaced === true && cacheFileState(path) === 'encrypted';
    const movedTo = moveAside(path, now());
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ code: (err as { code?: unknown }).code, movedTo, keyLost }, 'cache: unusable file moved aside');
    const outbox = salvageOutbox(movedTo, log, key);
    salvaged = outbox ?? [];
    recovered = keyLost
      ? { error: { code: 'CACHE_KEY_LOST', message: 'local cache encrypted with a key this device no longer has; rebuilt from the server' }, movedTo, recoveredOutbox: 0 }
      : { error: { code: 'CACHE_CORRUPT', message: `local cache unreadable (${reason}); rebuilt from the server` }, movedTo, recoveredOutbox: 0 };
    if (!outbox) recovered.outboxUnreadable = true;
    if (salvaged.length > 0) {
      recovered.recoveryFile = `${movedTo}.outbox.json`;
      writeFileSync(recovered.recoveryFile, JSON.stringify({ movedFrom: path, entries: salvaged }, null, 2));
    }
    raw = openChecked(path, 'quick', key);
  }

  const ctx: CacheContext = { db: new CacheDb(raw), userId: options.userId, now, log };
  const cache = new OpenedCache(ctx, path);
  if (recovered && salvaged.length > 0) {
    recovered.recoveredOutbox = restoreOutbox(cache, salvaged, now(), log);
  }
  return recovered ? { cache, recovered } : { cache };
}

/** Puts salvaged entries back as pending messages with queued outbox rows. Returns how many were restored. */
function restoreOutbox(cache: OpenedCache, entries: readonly OutboxEntry[], now: number, log: CacheLogger): number {
  let restored = 0;
  cache.transaction(() => {
    for (const e of entries) {
      try {
        cache.transaction(() => {
          const key = e.key as ConversationKey;
          cache.messages.insertOutgoing({
            id: e.clientMsgId,
            key,
            text: e.payload.text,
            mentions: e.payload.mentions.filter((m) => Number.isSafeInteger(m)),
            ...(e.payload.replyToMsgId ? { replyTo: { serverId: e.payload.replyToMsgId, senderId: 0, preview: '' } } : {}),
            // Its files are still on disk (files/ is not the cache file); re-pinned so the upload can resume.
            ...(e.payload.attachments ? { attachments: e.payload.attachments } : {}),
            createdAt: e.createdAt || now,
          });
          for (const ref of blobsOf(e.payload.attachments ?? [])) cache.localFiles.putComplete(ref.digest, ref.cipherSize, true);
          cache.outbox.add({ clientMsgId: e.clientMsgId, key, payload: e.payload, createdAt: e.createdAt || now, nextAttemptAt: now });
        });
        restored++;
      } catch (err) {
        log.warn({ code: (err as { code?: unknown }).code }, 'cache: a salvaged outbox entry could not be restored');
      }
    }
  });
  return restored;
}
