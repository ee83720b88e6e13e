/** Finds the Electron binary installed by `node node_modules/electron/install.js`, if any. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export function electronBinary(): string | null {
  try {
    // The electron package's main export is the path of the binary; it throws when the download never happened.
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export const electronInstallHint = 'The Electron binary is not installed (npm skips its download here). On a machine with internet: node node_modules/electron/install.js';
