/**
 * Who may talk to the web shell: requests that name our exact origin in Host
 * (defeats DNS rebinding), carry our Origin when they carry one (always for
 * the WebSocket), and prove the per-launch secret (query `k` or our cookie).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AccessDecision = { ok: true; viaQuery: boolean } | { ok: false; reason: 'host' | 'origin' | 'secret' };

export interface AccessPolicy {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** `127.0.0.1:PORT` */
  hostHeader: string;
  secret: string;
  cookieName: string;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function secretMatches(candidate: string | undefined | null, secret: string): boolean {
  if (typeof candidate !== 'string' || candidate.length === 0 || candidate.length > 512) return false;
  return timingSafeEqual(digest(candidate), digest(secret));
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function checkAccess(req: IncomingMessage, url: URL, policy: AccessPolicy, requireOrigin: boolean): AccessDecision {
  if (req.headers.host !== policy.hostHeader) return { ok: false, reason: 'host' };
  const origin = req.headers.origin;
  if (origin !== undefined || requireOrigin) {
    if (origin !== policy.origin) return { ok: false, reason: 'origin' };
  }
  if (secretMatches(url.searchParams.get('k'), policy.secret)) return { ok: true, viaQuery: true };
  if (secretMatches(readCookie(req.headers.cookie, policy.cookieName), policy.secret)) return { ok: true, viaQuery: false };
  return { ok: false, reason: 'secret' };
}

/** What may be logged about a request: never the query (it holds the secret). */
export function describeRequest(req: IncomingMessage, url: URL): Record<string, unknown> {
  return {
    path: url.pathname.slice(0, 200),
    remote: req.socket.remoteAddress,
    origin: typeof req.headers.origin === 'string' ? req.headers.origin.slice(0, 200) : undefined,
    host: typeof req.headers.host === 'string' ? req.headers.host.slice(0, 200) : undefined,
  };
}
