/**
 * The data directory: lock file (one server per directory), the server's
 * static key (generated on first start, mode 0600) and the database file.
 *
 * Layout:
 *   server.lock   pid and a random token of the running server
 *   server.key    JSON { publicKey, privateKey } base64 X25519 keys (0600)
 *   tern.db       SQLite database (+ tern.db-wal, tern.db-shm while open), all 0600
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeKey, encodeKey, generateStaticKeyPair, type StaticKeyPair } from '../shared/node/noise/keys';

export const LOCK_FILE = 'server.lock';
export const KEY_FILE = 'server.key';
export const DB_FILE = 'tern.db';

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is in use by another server (pid ${pid}); stop it or use another --data directory`);
    this.name = 'DataDirLockedError';
  }
}

/** The database and the files SQLite keeps beside it. */
export const DB_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`] as const;

/** Creates the data directory (0700) if needed: what a server does on its first start. */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** An operator command pointed at something that is not a data directory. */
export class DataDirMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirMissingError';
  }
}

/**
 * For operator commands: the data directory must exist and hold a database
 * (a typo in --data must not create an empty one). Returns the database path.
 */
export function existingDatabase(dir: string): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new DataDirMissingError(`data directory ${dir} does not exist (check --data or TERN_SERVER_DATA; a server creates it on its first start)`);
  }
  if (!isDir) throw new DataDirMissingError(`${dir} is not a directory (--data names the server's data directory)`);
  const file = join(dir, DB_FILE);
  if (!existsSync(file)) throw new DataDirMissingError(`${dir} holds no Tern database (${DB_FILE}); is it the server's data directory?`);
  return file;
}

/**
 * Makes the database files private before SQLite opens them: a new database
 * is created empty with mode 0600 (SQLite gives its -wal and -shm files the
 * database's mode), and files left more open by an older version are
 * narrowed to 0600.
 */
export function protectDatabaseFiles(dir: string): void {
  try {
    closeSync(openSync(join(dir, DB_FILE), 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const name of DB_FILES) {
    const file = join(dir, name);
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the directory's lock: an exclusively created file holding our pid. A
 * lock left by a dead process is taken over; a live one (including another
 * server in this same process) is refused with DataDirLockedError.
 */
export function lockDataDir(dir: string): DataDirLock {
  const file = join(dir, LOCK_FILE);
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid} ${token}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeFileSync(fd, content);
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8') === content) unlinkSync(file);
          } catch {
            // Already gone.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let pid = NaN;
    try {
      pid = Number.parseInt(readFileSync(file, 'utf8').split(' ')[0] ?? '', 10);
    } catch {
      continue; // removed meanwhile: try again
    }
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) throw new DataDirLockedError(dir, pid);
    try {
      unlinkSync(file); // stale: its server is gone
    } catch (err) {
      // Someone else removed it first; anything else (a read-only or broken disk) is the reason to report.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot remove the stale lock ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}

/** Loads the server's static key, creating it (0600) on first start. */
export function loadOrCreateServerKey(dir: string): StaticKeyPair {
  const file = join(dir, KEY_FILE);
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { publicKey?: unknown; privateKey?: unknown };
    if (typeof parsed.publicKey !== 'string' || typeof parsed.privateKey !== 'string') throw new Error(`${file}: not a server key file`);
    return { publicKey: decodeKey(parsed.publicKey), privateKey: decodeKey(parsed.privateKey) };
  }
  const pair = generateStaticKeyPair();
  writeFileSync(file, JSON.stringify({ publicKey: encodeKey(pair.publicKey), privateKey: encodeKey(pair.privateKey) }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return pair;
}
