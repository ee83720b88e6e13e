/** The update version the user chose to skip, in `<userData>/skipped-update.json`. */
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import type { SkippedVersionStore } from './updates';

const VERSION_RE = /^[0-9A-Za-z.+-]{1,64}$/;

export function skippedVersionFile(path: string): SkippedVersionStore {
  return {
    load() {
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        const version = (parsed as { version?: unknown } | null)?.version;
        return typeof version === 'string' && VERSION_RE.test(version) ? version : null;
      } catch {
        return null; // absent or unreadable: nothing skipped
      }
    },
    save(version) {
      if (version === null) rmSync(path, { force: true });
      else writeFileSync(path, JSON.stringify({ version }));
    },
  };
}
