// npm start's helpers: Electron binary detection (never triggers a download)
// and the stale-bundle check.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { electronBinary } from '../../scripts/lib/electron-binary';
import { bundlesAreStale } from '../../scripts/lib/build-if-stale';

const dirs: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tern-start-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function touch(root: string, rel: string, seconds: number): void {
  const full = join(root, rel);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, 'x');
  utimesSync(full, seconds, seconds);
}

describe('electronBinary', () => {
  it('is null without path.txt or without the binary, and the path when both exist', () => {
    const root = temp();
    mkdirSync(join(root, 'node_modules/electron'), { recursive: true });
    expect(electronBinary(root)).toBeNull();
    writeFileSync(join(root, 'node_modules/electron/path.txt'), 'electron');
    expect(electronBinary(root)).toBeNull();
    touch(root, 'node_modules/electron/dist/electron', 1000);
    expect(electronBinary(root)).toBe(join(root, 'node_modules/electron/dist/electron'));
  });

  it('finds nothing in this repository (the binary is not downloaded here)', () => {
    expect(electronBinary(join(import.meta.dirname, '../..'))).toBeNull();
  });
});

describe('bundlesAreStale', () => {
  it('is stale when outputs are missing or older than sources', () => {
    const root = temp();
    touch(root, 'renderer/main.ts', 1000);
    touch(root, 'shared/ipc/api.ts', 1000);
    expect(bundlesAreStale(root, false)).toBe(true);
    touch(root, 'out/renderer/index.html', 2000);
    expect(bundlesAreStale(root, false)).toBe(false);
    expect(bundlesAreStale(root, true)).toBe(true); // main/preload missing
    touch(root, 'out/main/index.js', 2000);
    touch(root, 'out/preload/index.cjs', 2000);
    touch(root, 'electron/main/index.ts', 1500);
    expect(bundlesAreStale(root, true)).toBe(true); // the core thread's entry is missing
    touch(root, 'out/main/core-worker.js', 2000);
    expect(bundlesAreStale(root, true)).toBe(false);
    touch(root, 'shared/ipc/api.ts', 3000);
    expect(bundlesAreStale(root, false)).toBe(true);
  });
});
