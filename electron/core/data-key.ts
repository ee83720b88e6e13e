/**
 * The data key: 32 random bytes per profile that encrypt what the core keeps
 * on disk. Never used directly: HKDF-SHA256 derives one key per purpose, one
 * per account cache (SQLCipher raw key, ./cache/open.ts) and one that seals
 * the device tokens (AES-256-GCM, ./account-store.ts).
 *
 * Where the data key lives is the shell's choice:
 * - Electron: in the OS keychain, through Electron's safeStorage (DPAPI,
 *   Keychain, libsecret/kwallet); electron/main/data-key.ts hands it over.
 * - Web shell, tests, tools: `<dataDir>/data.key`, mode 0600, beside the data
 *   (`keyFileDataKey`). Weaker: whoever can read the data directory can read
 *   the key too; it still keeps the cache unreadable to anything that sees the
 *   cache file alone (a backup that skips dotfiles, a copied file, a disk
 *   image taken without the key file).
 *
 * A key that cannot be read (the keychain changed, the key file was deleted
 * or damaged) is replaced (`replaced: true`): the caches and device tokens it
 * protected cannot be decrypted any more; the core then rebuilds each cache
 * from the server and asks for the password. Nothing crashes; the old files
 * are moved aside, never deleted.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { DATA_KEY_BYTES, DATA_KEY_FILE, formatDataKey, parseDataKey, setAsideUnreadable } from '../../shared/node/data-key-file';

export { DATA_KEY_BYTES };

export type KeyProtection = 'os-keychain' | 'key-file';

export interface DataKey {
  key: Uint8Array;
  protection: KeyProtection;
  /** An earlier key could not be read and this one replaced it: what it protected is unreadable. */
  replaced: boolean;
}

export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(DATA_KEY_BYTES));
}

/** A key for one purpose (HKDF-SHA256, the purpose as `info`). */
export function subkey(dataKey: Uint8Array, purpose: string): Uint8Array {
  if (dataKey.length !== DATA_KEY_BYTES) throw new Error('the data key must be 32 bytes');
  return hkdf(sha256, dataKey, undefined, new TextEncoder().encode(`tern ${purpose}`), 32);
}

/** The SQLCipher key of one account's cache. */
export function cacheKey(dataKey: Uint8Array, userId: number): Uint8Array {
  return subkey(dataKey, `cache v1 ${userId}`);
}

/** `<dataDir>/data.key`: the key beside the data (web shell, tests). Created on first use. */
export function keyFileDataKey(dataDir: string, now: () => number = Date.now): DataKey {
  const path = join(dataDir, DATA_KEY_FILE);
  if (existsSync(path)) {
    const key = parseDataKey(readFileSync(path, 'utf8'));
    if (key) return { key, protection: 'key-file', replaced: false };
    // Damaged: keep it for whoever wants to look, and start over.
    setAsideUnreadable(path, now);
    return { ...writeKeyFile(path), replaced: true };
  }
  return { ...writeKeyFile(path), replaced: false };
}

function writeKeyFile(path: string): Omit<DataKey, 'replaced'> {
  const key = newDataKey();
  writeFileSync(path, formatDataKey(key), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, protection: 'key-file' };
}

/**
 * Seals short secrets (device tokens) with AES-256-GCM under a subkey of the
 * data key. `context` is authenticated too (the account id), so a sealed
 * value cannot be moved to another account. Format: `v1.` + base64(nonce | ciphertext | tag).
 */
export class SecretSealer {
  private readonly key: Buffer;

  constructor(dataKey: Uint8Array) {
    this.key = Buffer.from(subkey(dataKey, 'secrets v1'));
  }

  seal(plain: string, context: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  /** The secret, or null if it was sealed under another key (or for another context), or is damaged. */
  open(sealed: string, context: string): string | null {
    if (!sealed.startsWith('v1.')) return null;
    const raw = Buffer.from(sealed.slice(3), 'base64');
    if (raw.length < 12 + 16) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
