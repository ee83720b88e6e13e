/**
 * Start-up configuration of the desktop app, from the environment and
 * build-time constants (no Electron here, so it is testable).
 *
 * - TERN_SERVERS: JSON array of { host, port, publicKey } used when the
 *   user has no servers in settings yet (`npm start` sets it to the local
 *   embedded server).
 * - `--user-data-dir=PATH` (or TERN_DATA_DIR): the data directory, so a second
 *   profile (another account, a test setup) runs beside the first; each
 *   directory has its own single-instance lock, settings, cache and logs.
 * - The update feed URL is fixed at build time (TERN_UPDATE_URL when running
 *   `npm run build`/`dist`), see docs/RELEASING.md.
 */
import { resolve } from 'node:path';

export { parseServersEnv } from '../host/servers';

/** A generic-provider feed URL: https only (http allowed for localhost testing). */
export function validUpdateUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:') return url.toString();
    if (url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1')) return url.toString();
    return null;
  } catch {
    return null;
  }
}

/** The data directory asked for on the command line (`--user-data-dir=PATH` / `--user-data-dir PATH`) or by TERN_DATA_DIR; absolute. */
export function userDataDirOverride(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  let raw: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--user-data-dir=')) raw = a.slice('--user-data-dir='.length);
    else if (a === '--user-data-dir' && i + 1 < argv.length) raw = argv[i + 1];
  }
  raw = raw || env.TERN_DATA_DIR || undefined;
  return raw ? resolve(cwd, raw) : undefined;
}
