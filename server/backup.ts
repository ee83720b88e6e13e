/**
 * `tern-server backup FILE` and `tern-server restore FILE`.
 *
 * Backup: a consistent copy while the server runs (the store's online
 * backup), written to a new file of mode 0600 (it holds password hashes and
 * every message); an existing target is refused, never overwritten.
 *
 * Restore: checks that FILE is a Tern database this server can open, takes
 * the data directory's lock (so no server starts meanwhile; a running server
 * makes it fail), moves an existing database aside (only with --force; never
 * deleted) and puts a 0600 copy of FILE in its place, atomically (copy, fsync,
 * rename).
 */
import { constants, closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE, DB_FILES, ensureDataDir, KEY_FILE, lockDataDir } from './datadir';
import { latestVersion } from './storage/migrations';

/** A backup or restore that cannot be done; nothing was changed. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

function fsyncPath(path: string, flags = 'r'): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes the online copy made by `copy(target)` to a new 0600 file. */
export async function backupTo(target: string, copy: (file: string) => void | Promise<void>): Promise<string> {
  const file = resolve(target);
  if (existsSync(file)) throw new BackupError(`backup target ${target} already exists; choose a new file name (nothing was written)`);
  const parent = dirname(file);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) throw new BackupError(`directory ${parent} does not exist (nothing was written)`);
  try {
    // An empty file is a valid VACUUM INTO target; creating it first gives it mode 0600 and refuses a race.
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new BackupError(`backup target ${target} already exists; choose a new file name (nothing was written)`);
    throw new BackupError(`cannot create ${target}: ${code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  try {
    await copy(file);
    chmodSync(file, 0o600);
    fsyncPath(file);
  } catch (err) {
    unlinkSync(file);
    throw new BackupError(`backup to ${target} failed (nothing was kept): ${(err as Error).message}`);
  }
  return file;
}

/** What is in a database file: refuses anything this server cannot open. */
export function inspectBackup(file: string): { version: number; users: number } {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  if (!statSync(file).isFile()) throw new BackupError(`${file} is not a file`);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${file} is damaged (SQLite quick_check: ${String(check)})`);
    const version = db.pragma('user_version', { simple: true }) as number;
    const hasUsers = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'users'").get() !== undefined;
    if (version === 0 || !hasUsers) throw new BackupError(`${file} is not a Tern server database`);
    if (version > latestVersion) throw new BackupError(`${file} comes from a newer server (schema ${version}; this one knows up to ${latestVersion})`);
    const users = db.prepare('SELECT count(*) FROM users').pluck().get() as number;
    return { version, users };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new BackupError(`${file} is not a SQLite database`);
    throw new BackupError(`cannot read ${file}: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}

export interface RestoreResult {
  /** Where the database that was replaced now is (with its -wal/-shm), if there was one. */
  keptAs?: string;
  users: number;
  /** False when the data directory has no server.key: a server would make a new one, and clients would have to re-pin. */
  hasServerKey: boolean;
}

/** Puts a backup in place as DIR/tern.db. The server must be stopped. */
export function restoreInto(dataDir: string, source: string, options: { force: boolean; now?: Date }): RestoreResult {
  const { users } = inspectBackup(source);
  ensureDataDir(dataDir);
  const lock = lockDataDir(dataDir);
  try {
    const target = join(dataDir, DB_FILE);
    let keptAs: string | undefined;
    const current = existsSync(target) ? statSync(target).size : -1;
    if (current > 0 || existsSync(`${target}-wal`)) {
      if (!options.force) {
        throw new BackupError(`${dataDir} already has a database; add --force to replace it (it is kept beside, renamed, not deleted)`);
      }
      const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
      keptAs = join(dataDir, `${DB_FILE}.before-restore-${stamp}`);
      // Renamed together, the WAL stays with its database (SQLite finds it by name).
      for (const name of DB_FILES) {
        const from = join(dataDir, name);
        if (existsSync(from)) renameSync(from, keptAs + name.slice(DB_FILE.length));
      }
    } else if (current === 0) {
      unlinkSync(target); // an empty placeholder from a server that never wrote anything
    }
    const partial = `${target}.restoring`;
    if (existsSync(partial)) unlinkSync(partial); // left by an interrupted restore
    copyFileSync(source, partial, constants.COPYFILE_EXCL);
    chmodSync(partial, 0o600);
    fsyncPath(partial);
    renameSync(partial, target);
    fsyncPath(dataDir);
    return { keptAs, users, hasServerKey: existsSync(join(dataDir, KEY_FILE)) };
  } finally {
    lock.release();
  }
}
