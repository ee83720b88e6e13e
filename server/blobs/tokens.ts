/**
 * Short-lived transfer tokens for the blob HTTP service. The IM server issues
 * them over the protocol (BLOB_UPLOAD_AUTH / BLOB_DOWNLOAD_AUTH) after checking
 * quota and access; the HTTP side verifies them without a database read.
 *
 *   token = "t1." base64url(payload JSON) "." base64url(HMAC-SHA256(secret, "t1." payload))
 *   payload = { u: user id, d: blob digest (hex), o: "up" | "down", s: ciphertext size (uploads), e: expiry (ms since epoch) }
 *
 * A token names one user and one blob: it cannot fetch another blob, and an
 * upload token cannot download. The secret lives in the data directory
 * (`blob-token.key`, 0600); nodes of a cluster share it (config `blobTokenSecret`).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBlobDigest } from '../../shared/attachments/format';

export const TOKEN_SECRET_FILE = 'blob-token.key';

export type TransferOp = 'up' | 'down';

export interface TransferGrant {
  userId: number;
  digest: string;
  op: TransferOp;
  /** Ciphertext size the upload must have (0 for downloads). */
  size: number;
  expiresAt: number;
}

export type TokenError = 'malformed' | 'bad-signature' | 'expired';

export class TokenSigner {
  constructor(private readonly secret: Uint8Array) {
    if (secret.length < 32) throw new Error('the token secret must have at least 32 bytes');
  }

  sign(grant: TransferGrant): string {
    const payload = Buffer.from(JSON.stringify({ u: grant.userId, d: grant.digest, o: grant.op, s: grant.size, e: grant.expiresAt })).toString('base64url');
    return `t1.${payload}.${this.mac(payload)}`;
  }

  /** The grant of a token, or why it is refused. */
  verify(token: string, now: number): TransferGrant | TokenError {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 't1' || token.length > 1024) return 'malformed';
    const [, payload, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad-signature';
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return 'malformed';
    }
    const p = raw as { u?: unknown; d?: unknown; o?: unknown; s?: unknown; e?: unknown };
    if (
      typeof p.u !== 'number' ||
      !Number.isSafeInteger(p.u) ||
      typeof p.d !== 'string' ||
      !isBlobDigest(p.d) ||
      (p.o !== 'up' && p.o !== 'down') ||
      typeof p.s !== 'number' ||
      !Number.isSafeInteger(p.s) ||
      typeof p.e !== 'number'
    ) {
      return 'malformed';
    }
    if (p.e <= now) return 'expired';
    return { userId: p.u, digest: p.d, op: p.o, size: p.s, expiresAt: p.e };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`t1.${payload}`).digest('base64url');
  }
}

/** The configured secret (base64, for clusters) or the data directory's, created on first start. */
export function loadOrCreateTokenSecret(dataDir: string, configured?: string): Uint8Array {
  if (configured) return new Uint8Array(Buffer.from(configured, 'base64'));
  const file = join(dataDir, TOKEN_SECRET_FILE);
  if (existsSync(file)) return new Uint8Array(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return new Uint8Array(secret);
}
