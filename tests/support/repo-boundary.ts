/**
 * Nothing in the repository may read outside it: a user's clone has only
 * the repository, so a test or script that reads `../shared/...` (the team
 * handbook beside the checkout here), another checkout or any sibling folder
 * passes here and fails for everyone else (issue 9 item 2).
 *
 * Two guards share the rule below:
 * - this file, a setup file of every Node test project (vitest.config.ts):
 *   in each test worker, a read of an existing file or folder outside the
 *   repository, in the folders that enclose it, throws, and the test file
 *   fails even if the error was caught;
 * - tests/lint/repo-boundary.test.ts reads every committed source, test,
 *   script and config file for paths that resolve there.
 *
 * "The folders that enclose it": the checkout's parent, its parent, and so
 * on, stopping below the filesystem root and the home directory (where
 * package-manager and browser caches legitimately live), minus the path down
 * to the checkout itself and the temp directory (but a checkout inside the
 * temp directory still has siblings there). System folders (/usr, /etc,
 * /proc, /tmp, ...) are never in that set unless the checkout sits in them.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/** The checkout's enclosing folders, innermost first (see above). */
export function enclosingFolders(root: string = repoRoot, home: string = os.homedir()): string[] {
  const folders: string[] = [];
  for (let folder = path.dirname(root); folder !== path.dirname(folder); folder = path.dirname(folder)) {
    if (inside(home, folder)) break; // the home directory or one of its ancestors
    folders.push(folder);
  }
  return folders;
}

/**
 * True for a path in the checkout's enclosing folders that is neither in the
 * checkout, nor on the way to it, nor in the temp directory. A checkout that
 * itself sits in the temp directory (a CI clone in /tmp/job/repo) still has
 * siblings: the folders between it and the temp directory count as outside.
 */
export function isOutsideRepository(target: string, root: string = repoRoot, home: string = os.homedir(), tmp: string = os.tmpdir()): boolean {
  const p = path.resolve(target);
  const temp = path.resolve(tmp);
  if (inside(p, root) || inside(root, p)) return false;
  const folders = enclosingFolders(root, home);
  if (folders.some((folder) => inside(p, folder) && !inside(temp, folder))) return true; // beside the checkout, below the temp directory
  if (inside(p, temp)) return false;
  return folders.some((folder) => inside(p, folder));
}

export class OutsideRepositoryError extends Error {
  override readonly name = 'OutsideRepositoryError';
  constructor(readonly target: string) {
    super(
      `read outside the repository: ${target}. A clone has only the repository, so this passes here and fails for everyone else; ` +
        'copy what is needed into the repository (test data under tests/fixtures/, with a note on where it came from).',
    );
  }
}

// Shared by every evaluation of this module in a worker (test files re-import it; the fs functions are patched once).
const shared = globalThis as unknown as { [key: symbol]: OutsideRepositoryError[] | undefined };
const violationsKey = Symbol.for('tern.repoBoundary.violations');
const violations: OutsideRepositoryError[] = (shared[violationsKey] ??= []);

/** The reads refused so far in this worker (and forgets them): for the guard's own test. */
export function takeViolations(): OutsideRepositoryError[] {
  return violations.splice(0);
}

function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : undefined;
  if (Buffer.isBuffer(arg)) return arg.toString();
  return undefined; // a file descriptor: its open was checked
}

const realExistsSync = fs.existsSync;

let suspended = 0;

/** Runs `body` with the guard off: only for the guard's own test, to create and remove its probe beside the checkout. */
export function outsideTheGuard<T>(body: () => T): T {
  suspended++;
  try {
    return body();
  } finally {
    suspended--;
  }
}

/** The error for `arg` when it names an existing path outside the repository (a probe for a missing file is harmless: a clone gives the same answer). */
function refusal(arg: unknown): OutsideRepositoryError | undefined {
  if (suspended > 0) return undefined;
  const target = pathOf(arg);
  if (target === undefined || !isOutsideRepository(target) || !realExistsSync(target)) return undefined;
  const error = new OutsideRepositoryError(path.resolve(target));
  violations.push(error);
  return error;
}

type AnyFunction = (...args: unknown[]) => unknown;

const SYNC = ['readFileSync', 'readdirSync', 'statSync', 'lstatSync', 'openSync', 'existsSync', 'accessSync', 'realpathSync', 'opendirSync', 'readlinkSync', 'copyFileSync', 'cpSync', 'createReadStream'] as const;
const CALLBACK = ['readFile', 'readdir', 'stat', 'lstat', 'open', 'access', 'realpath', 'opendir', 'readlink', 'copyFile', 'cp'] as const;
const PROMISES = ['readFile', 'readdir', 'stat', 'lstat', 'open', 'access', 'realpath', 'opendir', 'readlink', 'copyFile', 'cp'] as const;

function install(): void {
  const marker = Symbol.for('tern.repoBoundary.installed');
  const state = globalThis as unknown as { [key: symbol]: boolean | undefined };
  if (state[marker]) return;
  state[marker] = true;
  const fsTable = fs as unknown as Record<string, AnyFunction>;
  const promiseTable = fsp as unknown as Record<string, AnyFunction>;
  for (const name of SYNC) {
    const original = fsTable[name]!;
    fsTable[name] = function guarded(this: unknown, ...args: unknown[]) {
      const error = refusal(args[0]);
      if (error) throw error;
      return original.apply(this, args);
    };
  }
  for (const name of CALLBACK) {
    const original = fsTable[name]!;
    fsTable[name] = function guarded(this: unknown, ...args: unknown[]) {
      const error = refusal(args[0]);
      const callback = args[args.length - 1];
      if (error && typeof callback === 'function') return void process.nextTick(() => (callback as AnyFunction)(error));
      if (error) throw error;
      return original.apply(this, args);
    };
  }
  for (const name of PROMISES) {
    const original = promiseTable[name]!;
    promiseTable[name] = function guarded(this: unknown, ...args: unknown[]) {
      const error = refusal(args[0]);
      return error ? Promise.reject(error) : original.apply(this, args);
    };
  }
  // ESM named imports of node:fs (`import { readFileSync } from 'node:fs'`) follow the patched functions.
  syncBuiltinESMExports();
}

install();

afterAll(() => {
  // A refused read that the code under test caught and ignored still fails its test file.
  const refused = takeViolations();
  if (refused.length > 0) throw new Error(`${refused.length} read(s) outside the repository:\n${refused.map((e) => e.message).join('\n')}`);
});
