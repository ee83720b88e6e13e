/**
 * Finds the Electron binary fetched by `node node_modules/electron/install.js`,
 * without require('electron'): since Electron 4x that call starts a download
 * when the binary is missing, which cannot work offline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function electronBinary(root: string): string | null {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkg, 'dist');
  const binary = join(dist, relative);
  return relative && existsSync(binary) ? binary : null;
}

export const electronInstallHint = 'The Electron binary is not installed (npm skips its download here). On a machine with internet: node node_modules/electron/install.js';
