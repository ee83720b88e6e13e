/**
 * Start-up configuration of the desktop app, from the environment and
 * build-time constants (no Electron here, so it is testable).
 *
 * - TERN_SERVERS: JSON array of { host, port, publicKey } used when the
 *   user has no servers in settings yet (`npm start` sets it to the local
 *   embedded server).
 * - TERN_DATA_DIR: overrides the data directory (several instances side by
 *   side, e.g. `npm run demo`).
 * - The update feed URL is fixed at build time (TERN_UPDATE_URL when running
 *   `npm run build`/`dist`), see docs/RELEASING.md.
 */
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
