/**
 * The data key's text form and what happens to a key file that cannot be
 * read, shared by the two places that keep the key: the core's key file
 * (`<dataDir>/data.key`, electron/core/data-key.ts) and the Electron app's
 * keychain-sealed copy (electron/main/data-key.ts), which holds the same text
 * and takes over a key file it finds.
 */
import { existsSync, renameSync } from 'node:fs';

export const DATA_KEY_BYTES = 32;

/** The key file beside the data, when there is no OS keychain (web shell, tests, Linux without a secret service). */
export const DATA_KEY_FILE = 'data.key';

/** 32 bytes as canonical base64 (a trailing newline allowed). */
export function formatDataKey(key: Uint8Array): string {
  return `${Buffer.from(key).toString('base64')}\n`;
}

/** The key, or null for anything that is not exactly 32 bytes in canonical base64. */
export function parseDataKey(text: string): Uint8Array | null {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === DATA_KEY_BYTES && bytes.toString('base64') === trimmed ? new Uint8Array(bytes) : null;
}

/**
 * Renames a key file that no longer opens anything to `<path>.unreadable-<time>`
 * (never deleted: whoever wants to look, or recover it, still can).
 */
export function setAsideUnreadable(path: string, now: () => number): void {
  const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
  let target = `${path}.unreadable-${stamp}`;
  for (let i = 1; existsSync(target); i++) target = `${path}.unreadable-${stamp}-${i}`;
  renameSync(path, target);
}
