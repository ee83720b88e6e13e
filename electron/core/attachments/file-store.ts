/**
 * Where one account's encrypted files live on disk, beside its cache.db:
 *
 *   accounts/<userId>/files/ab/<digest>        complete files (ciphertext), named by digest
 *   accounts/<userId>/files/ab/<digest>.part   a download in progress (its verified prefix)
 *   accounts/<userId>/staging/<id>.tern        the composer's files, encrypted, not sent yet
 *
 * Everything here is ciphertext: a file's key lives only in its message (in
 * cache.db), so these folders say nothing without the cache.
 */
import { mkdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isBlobDigest } from '../../../shared/attachments/format';

export class FileStore {
  readonly filesDir: string;
  readonly stagingDir: string;

  constructor(accountDir: string) {
    this.filesDir = join(accountDir, 'files');
    this.stagingDir = join(accountDir, 'staging');
    mkdirSync(this.filesDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.stagingDir, { recursive: true, mode: 0o700 });
  }

  pathOf(digest: string): string {
    if (!isBlobDigest(digest)) throw new Error('not a blob digest');
    return join(this.filesDir, digest.slice(0, 2), digest);
  }

  async ensureDirOf(digest: string): Promise<string> {
    const path = this.pathOf(digest);
    await mkdir(join(this.filesDir, digest.slice(0, 2)), { recursive: true, mode: 0o700 });
    return path;
  }

  stagingPath(name: string): string {
    return join(this.stagingDir, name);
  }

  /** Moves a staged file to its place by digest (same digest, same bytes: a copy already there wins). */
  async adopt(stagedPath: string, digest: string): Promise<void> {
    const target = await this.ensureDirOf(digest);
    await rename(stagedPath, target);
  }

  /** The file and (unless `keepPart`) a partial download of it. */
  async remove(digest: string, options: { keepPart?: boolean } = {}): Promise<void> {
    const path = this.pathOf(digest);
    await rm(path, { force: true });
    if (!options.keepPart) await rm(`${path}.part`, { force: true });
  }

  /** The composer's files of a previous run: nothing refers to them any more. */
  async clearStaging(): Promise<void> {
    for (const name of await readdir(this.stagingDir).catch(() => [])) await rm(join(this.stagingDir, name), { force: true, recursive: true });
  }

  /** Removes files on disk the cache does not know (left by a crash between a rename and a commit). Returns how many. */
  async sweep(known: ReadonlySet<string>): Promise<number> {
    let removed = 0;
    for (const dir of await readdir(this.filesDir).catch(() => [])) {
      const sub = join(this.filesDir, dir);
      for (const name of await readdir(sub).catch(() => [])) {
        const digest = name.endsWith('.part') ? name.slice(0, -5) : name;
        if (known.has(digest)) continue;
        await rm(join(sub, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}
