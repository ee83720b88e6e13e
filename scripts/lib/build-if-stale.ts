/** Runs `electron-vite build` when the bundles are missing or older than their sources. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function bundlesAreStale(root: string, needElectron: boolean): boolean {
  const outputs = ['out/renderer/index.html', ...(needElectron ? ['out/main/index.js', 'out/main/core-worker.js', 'out/preload/index.cjs'] : [])].map((f) => join(root, f));
  if (outputs.some((f) => !existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const sources = ['renderer', 'shared', ...(needElectron ? ['electron'] : [])].map((d) => join(root, d));
  return sources.some((d) => newestMtime(d) > built);
}

/** Runs `electron-vite build`; its output goes to `output` (a file descriptor; default: this terminal). */
export function buildBundles(root: string, output: number | 'inherit' = 'inherit'): void {
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const args = existsSync(cli) ? [cli, 'build'] : [join(root, 'node_modules', '.bin', 'electron-vite'), 'build'];
  if (output === 'inherit') console.log('Building the app (electron-vite build)…');
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', output, output] });
  if (result.status !== 0) throw new Error('electron-vite build failed');
}
