/**
 * What build is running: the package version and the git commit. The
 * compiled server (`npm run build:server`) has both written in at build time
 * (the `__TERN_BUILD_INFO__` constant, replaced by the bundler); from source
 * (tsx) they are read from package.json and `git rev-parse`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  version: string;
  /** Abbreviated commit id, "unknown" outside a git checkout. */
  commit: string;
}

declare const __TERN_BUILD_INFO__: BuildInfo | undefined;

let cached: BuildInfo | undefined;

function fromSource(): BuildInfo {
  const root = fileURLToPath(new URL('..', import.meta.url));
  let version = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // Not in the repository: keep the placeholder.
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || commit;
  } catch {
    // No git, or not a checkout.
  }
  return { version, commit };
}

export function buildInfo(): BuildInfo {
  cached ??= typeof __TERN_BUILD_INFO__ !== 'undefined' ? __TERN_BUILD_INFO__ : fromSource();
  return cached;
}
