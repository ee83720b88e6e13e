/**
 * `npm run build:server [-- --out DIR]`: the compiled server, for production
 * (no tsx, no TypeScript, no repository needed). DIR (default out/server):
 *
 *   main.js         the tern-server command: server/main.ts and everything it
 *                   imports in one ES module (esbuild), version and commit
 *                   written in; executable, with a node shebang
 *   NAME.worker.js  one bundle per server/**\/NAME.worker.ts, next to main.js
 *                   (how a worker thread finds its code in the bundle)
 *   sqlite-worker.js, sqlite-worker-boot.cjs
 *                   the SQLite thread (server/storage): its bundle and the
 *                   CommonJS shim that starts it, found beside main.js
 *   node_modules/   what cannot be bundled: native addons (better-sqlite3)
 *                   and the packages they load at run time
 *   package.json    name, version, bin, licence, engines
 *   LICENSE, NOTICE
 *
 * The bundling itself is scripts/lib/bundle.ts (shared with the child
 * processes of `npm run cluster` and the benchmarks); this adds what a
 * machine without the repository needs. Run it with `node DIR/main.js [options]` (Node 20, same platform and ABI as
 * the build: the addon is compiled). The Dockerfile and the systemd unit in
 * deploy/ use exactly this.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildInfo, buildServerBundle, nativePackages } from './lib/bundle';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = resolve(values.out ?? join(root, 'out', 'server'));

/** Dependencies of native packages needed only to install them, not to run them. */
const installOnly = new Set(['prebuild-install', 'node-gyp', 'node-addon-api']);

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  engines?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const pkg = readJson<PackageJson>(join(root, 'package.json'));

/** A package and, recursively, what it needs at run time, copied into out/node_modules. */
function copyRuntimePackage(name: string, copied: Set<string>): void {
  if (copied.has(name) || installOnly.has(name)) return;
  copied.add(name);
  const from = join(root, 'node_modules', name);
  const to = join(outDir, 'node_modules', name);
  const manifest = readJson<PackageJson>(join(from, 'package.json'));
  if (existsSync(join(from, 'build', 'Release'))) {
    // A native addon: its JavaScript, its licence and the compiled .node files, not its sources.
    mkdirSync(join(to, 'build', 'Release'), { recursive: true });
    for (const entry of readdirSync(from)) {
      if (entry === 'lib' || entry === 'package.json' || /^licen[cs]e/i.test(entry)) cpSync(join(from, entry), join(to, entry), { recursive: true });
    }
    for (const file of readdirSync(join(from, 'build', 'Release'))) {
      if (file.endsWith('.node')) copyFileSync(join(from, 'build', 'Release', file), join(to, 'build', 'Release', file));
    }
  } else {
    cpSync(from, to, { recursive: true, filter: (src) => basename(src) !== 'node_modules' });
  }
  for (const dep of Object.keys(manifest.dependencies ?? {})) copyRuntimePackage(dep, copied);
}

async function main(): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const info = buildInfo();
  const { workers, metafile } = await buildServerBundle(outDir, info);

  const copied = new Set<string>();
  for (const name of nativePackages) copyRuntimePackage(name, copied);
  const dependencies = Object.fromEntries([...copied].sort().map((name) => [name, readJson<PackageJson>(join(root, 'node_modules', name, 'package.json')).version]));
  writeFileSync(
    join(outDir, 'package.json'),
    JSON.stringify(
      { name: 'tern-server', version: pkg.version, description: 'Tern IM server (compiled)', type: 'module', license: 'Apache-2.0', private: true, bin: { 'tern-server': 'main.js' }, engines: pkg.engines, dependencies },
      null,
      2,
    ) + '\n',
  );
  for (const file of ['LICENSE', 'NOTICE']) copyFileSync(join(root, file), join(outDir, file));

  const bytes = Object.values(metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
  console.log(`built ${relative(process.cwd(), outDir) || '.'}: main.js${workers ? ` + ${workers} worker(s)` : ''}, ${(bytes / 1e6).toFixed(1)} MB of JavaScript, native: ${[...copied].join(', ')} (tern-server ${info.version}, commit ${info.commit})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
