/**
 * The server as one ES module for plain node (esbuild), for child processes
 * that hold many sockets or live long: no TypeScript to compile at start, and
 * less memory per process than under the tsx loader. (A stall once blamed on
 * tsx was Node 20's key-generation deadlock, see shared/node/noise/keys.ts.)
 * Beside it, the SQLite worker thread's entry (CommonJS,
 * as its boot shim requires it) and that shim: the store finds both next to
 * the module that starts them. The bundle lives under node_modules/.cache so
 * the native and optional modules left out of it (better-sqlite3, pg-native)
 * resolve from the repository.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
const external = ['better-sqlite3', 'better-sqlite3-multiple-ciphers', 'pg-native'];

/** Builds server/main.ts (and the SQLite worker) into a directory of its own; resolves with the entry's path. */
export async function bundleServer(): Promise<string> {
  const dir = join(root, 'node_modules', '.cache', 'tern-server-bundle', String(process.pid));
  mkdirSync(dir, { recursive: true });
  // The worker is CommonJS (.js) while the repository's package.json says "module": this directory says otherwise.
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  copyFileSync(join(root, 'server', 'storage', 'sqlite-worker-boot.cjs'), join(dir, 'sqlite-worker-boot.cjs'));
  const outfile = join(dir, 'main.mjs');
  await Promise.all([
    build({
      entryPoints: [join(root, 'server', 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external,
      // CommonJS dependencies call require(): give the ES module one.
      banner: { js: "import { createRequire as __tern_createRequire } from 'node:module'; const require = __tern_createRequire(import.meta.url);" },
      logLevel: 'warning',
    }),
    build({ entryPoints: [join(root, 'server', 'storage', 'sqlite-worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: join(dir, 'sqlite-worker.js'), external, logLevel: 'warning' }),
  ]);
  return outfile;
}

/** Removes what bundleServer built. */
export function removeBundle(entry: string): void {
  rmSync(dirname(entry), { recursive: true, force: true });
}
