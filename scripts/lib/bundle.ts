/**
 * The server bundled for plain node (esbuild): the one bundler of the
 * server, used by `npm run build:server` (scripts/build-server.ts, the
 * production build: it adds the native addon, package.json and licences
 * around what is built here) and by the child processes of `npm run
 * cluster` and the benchmarks (bundleServer: no TypeScript to compile at
 * start, and less memory per process than under the tsx loader; a stall
 * once blamed on tsx was Node 20's key-generation deadlock, see
 * shared/node/noise/keys.ts).
 *
 * What a bundle directory holds:
 *
 *   main.js         server/main.ts and everything it imports in one ES module,
 *                   version and commit written in; executable, node shebang
 *   NAME.worker.js  one bundle per server/**\/NAME.worker.ts, next to main.js
 *                   (how a worker thread finds its code in the bundle)
 *   sqlite-worker.js, sqlite-worker-boot.cjs
 *                   the SQLite thread (server/storage): its bundle and the
 *                   CommonJS shim that starts it, found beside main.js
 *   main.js.map, *.LEGAL.txt
 *
 * Native addons (better-sqlite3) and optional requires the server never
 * takes (pg-native) stay outside and resolve from a node_modules above the
 * directory: the production build copies them in; bundleServer's directory
 * lives under the repository's node_modules/.cache.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Native addons: loaded from node_modules at run time, never bundled. */
export const nativePackages = ['better-sqlite3'];
/** Optional requires of bundled packages that the server never takes (pg's native binding). */
const absentOptional = ['pg-native'];

/** Thread entries that are not named *.worker.ts, each bundled beside main.js under its own name, with the files that start them. */
const namedThreads = [{ entry: join('server', 'storage', 'sqlite-worker.ts'), files: [join('server', 'storage', 'sqlite-worker-boot.cjs')] }];

export interface BuildInfo {
  version: string;
  commit: string;
}

/** TERN_BUILD_COMMIT when set (a build from a source archive, without .git), else git's HEAD. */
function gitCommit(): string {
  if (process.env.TERN_BUILD_COMMIT) return process.env.TERN_BUILD_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The version (package.json) and commit the build writes in. */
export function buildInfo(): BuildInfo {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { version: pkg.version, commit: gitCommit() };
}

function workerEntries(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return workerEntries(full);
    return e.name.endsWith('.worker.ts') ? [full] : [];
  });
}

/** Bundles the server into `outDir` (created; what is there is overwritten): main.js, the thread entries and their shims. */
export async function buildServerBundle(outDir: string, info: BuildInfo = buildInfo()): Promise<{ workers: number; metafile: Metafile }> {
  mkdirSync(outDir, { recursive: true });
  const workers = [...workerEntries(join(root, 'server')), ...namedThreads.map((t) => join(root, t.entry))];
  const result = await build({
    entryPoints: [{ in: join(root, 'server', 'main.ts'), out: 'main' }, ...workers.map((w) => ({ in: w, out: basename(w, '.ts') }))],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    external: [...nativePackages, ...absentOptional],
    define: { __TERN_BUILD_INFO__: JSON.stringify(info) },
    // Bundled CommonJS packages call require(); give the ES module one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __ternCreateRequire } from 'node:module';\nconst require = __ternCreateRequire(import.meta.url);" },
    legalComments: 'linked',
    logLevel: 'warning',
    metafile: true,
  });
  chmodSync(join(outDir, 'main.js'), 0o755);
  for (const file of namedThreads.flatMap((t) => t.files)) copyFileSync(join(root, file), join(outDir, basename(file)));
  return { workers: workers.length, metafile: result.metafile };
}

/** A bundle of the server for child processes of this checkout (a directory of its own under node_modules/.cache); resolves with its main.js. */
export async function bundleServer(): Promise<string> {
  const dir = join(root, 'node_modules', '.cache', 'tern-server-bundle', String(process.pid));
  // The bundles are ES modules named .js, as in the production build's directory.
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  await buildServerBundle(dir);
  return join(dir, 'main.js');
}

/** Removes what bundleServer built. */
export function removeBundle(entry: string): void {
  rmSync(dirname(entry), { recursive: true, force: true });
}
