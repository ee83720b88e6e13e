/**
 * The cache at rest: SQLCipher 4 format (better-sqlite3-multiple-ciphers,
 * cipher `sqlcipher`, `legacy=4`: AES-256-CBC per 4 KiB page, HMAC-SHA512 per
 * page, random 16-byte salt in the first bytes), keyed with a raw 256-bit key
 * (`x'…'`: no passphrase KDF, the key is random), so SQLCipher's own tools
 * open a cache given its key. The key is derived from the profile's data key
 * (../data-key.ts `cacheKey`).
 *
 * A cache from before encryption (plaintext SQLite, "v1") is encrypted in
 * place the first time it is opened with a key: WAL checkpointed, rollback
 * journal, `PRAGMA rekey`, WAL again. The rekey runs in one transaction with a
 * rollback journal, so a crash leaves either the plaintext file and a hot
 * journal (rolled back here before anything else, then encrypted again) or
 * the finished encrypted file. Nothing in it, the outbox above all, is lost.
 * The plaintext's old blocks may remain in the disk's free space: a file
 * system cannot promise to overwrite them.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import type { CacheLogger } from './api';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export type CacheFileState = 'missing' | 'plaintext' | 'encrypted';

/** What the file is, from its first 16 bytes (an empty file is a new database). */
export function cacheFileState(path: string): CacheFileState {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    if (n === 0) return 'missing';
    return n === 16 && head.equals(SQLITE_MAGIC) ? 'plaintext' : 'encrypted';
  } finally {
    closeSync(fd);
  }
}

/** Sets the cipher and key on a fresh connection, before its first read. */
export function applyKey(raw: Database.Database, key: Uint8Array): void {
  if (key.length !== 32) throw new Error('a cache key is 32 bytes');
  raw.pragma(`cipher = 'sqlcipher'`);
  raw.pragma('legacy = 4');
  raw.pragma(`key = "x'${Buffer.from(key).toString('hex')}'"`);
}

/**
 * A hot rollback journal beside the cache means an encryption was cut short
 * (the cache itself runs in WAL mode and never leaves one): roll it back with
 * a plaintext connection, which restores the file as it was before.
 */
export function rollBackInterruptedEncryption(path: string, log: CacheLogger): boolean {
  const journal = `${path}-journal`;
  if (!existsSync(journal) || statSync(journal).size === 0) return false;
  const raw = new Database(path);
  try {
    raw.prepare('SELECT count(*) FROM sqlite_schema').get(); // the first read plays the hot journal back
  } finally {
    raw.close();
  }
  log.warn({}, 'cache: an interrupted encryption was rolled back; encrypting again');
  return true;
}

/** Encrypts a healthy plaintext cache in place. Throws on any failure (the plaintext then stays as it was). */
export function encryptInPlace(path: string, key: Uint8Array, log: CacheLogger): void {
  const raw = new Database(path);
  try {
    const before = counts(raw);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.pragma('journal_mode = DELETE'); // rekey cannot run in WAL mode
    raw.pragma(`cipher = 'sqlcipher'`);
    raw.pragma('legacy = 4');
    raw.pragma(`rekey = "x'${Buffer.from(key).toString('hex')}'"`);
    raw.pragma('journal_mode = WAL');
    const after = counts(raw);
    if (before.outbox !== after.outbox || before.messages !== after.messages) {
      throw new Error(`cache encryption changed the row counts (outbox ${before.outbox} → ${after.outbox}, messages ${before.messages} → ${after.messages})`);
    }
    log.info({ messages: after.messages, outbox: after.outbox }, 'cache: encrypted in place');
  } finally {
    raw.close();
  }
}

function counts(raw: Database.Database): { outbox: number; messages: number } {
  const has = (t: string) => raw.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(t) !== undefined;
  const count = (t: string) => (has(t) ? (raw.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n : 0);
  return { outbox: count('outbox'), messages: count('messages') };
}
