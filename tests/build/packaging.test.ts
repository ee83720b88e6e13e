// What the installers ship, checked by packing for real: electron-builder
// with the project's config packs the built bundles (`dir` target, Linux),
// with a stand-in for the Electron binary (which cannot be downloaded here;
// electron-builder takes any unpacked Electron via `electronDist`), no native
// rebuild (it needs Electron's headers) and no fuses (they patch the binary).
// Everything else, the file selection, the node_modules it adds, asar and
// asarUnpack, is electron-builder's own work on our config.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as ElectronBuilder from 'electron-builder';
import type * as Asar from '@electron/asar';
import { buildBundles, bundlesAreStale } from '../../scripts/lib/build-if-stale';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '../..');
interface PackedCheck {
  problems: string[];
  nativeModules: Array<{ path: string; abi: number | 'napi' | null }>;
  sizes: { asar: number; unpacked: number };
}
const { checkPackedApp, nativeModuleAbi } = require('../../build/packed-app-check.cjs') as {
  checkPackedApp(options: { appOutDir: string; platform: string; productName: string; electronVersion: string; expectedAbi?: number }): PackedCheck;
  nativeModuleAbi(buffer: Buffer): number | 'napi' | null;
};
const afterPack = (require('../../build/after-pack.cjs') as { default: (context: unknown) => Promise<void> }).default;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;

/** Bare module names the built main-process bundles import (rollup writes them as top-level import lines). */
function bundleImports(): Set<string> {
  const names = new Set<string>();
  // Recursive: with two entries (main, the core's thread) rollup puts shared code in out/main/chunks/.
  for (const file of readdirSync(join(root, 'out/main'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(c|m)?js$/.test(f))) {
    const code = readFileSync(join(root, 'out/main', file), 'utf8');
    for (const m of code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*["']([^"'./][^"']*)["'];?$|^import\s*["']([^"'./][^"']*)["'];?$/gm)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith('node:') || spec === 'electron') continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
    for (const m of code.matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || spec === 'electron' || builtinModules.includes(spec)) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return names;
}

let work: string;
let appOutDir: string;

beforeAll(async () => {
  if (bundlesAreStale(root, true)) buildBundles(root);
  work = mkdtempSync(join(tmpdir(), 'tern-pack-'));
  const fakeElectron = join(work, 'electron-dist');
  mkdirSync(join(fakeElectron, 'resources'), { recursive: true });
  writeFileSync(join(fakeElectron, 'electron'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(fakeElectron, 'electron'), 0o755);
  writeFileSync(join(fakeElectron, 'version'), electronVersion);
  const builder = require('electron-builder') as typeof ElectronBuilder;
  const config = require('../../build/electron-builder.config.cjs') as Record<string, unknown> & { directories: object };
  await builder.build({
    projectDir: root,
    targets: builder.Platform.LINUX.createTarget('dir', builder.Arch.x64),
    config: { ...config, afterPack: null, electronDist: fakeElectron, electronVersion, npmRebuild: false, electronFuses: null, directories: { ...config.directories, output: join(work, 'dist') } },
  });
  appOutDir = join(work, 'dist', 'linux-unpacked');
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packaging', () => {
  it('`dependencies` is exactly what the main bundle loads at run time (the rest is bundled or not for the app)', () => {
    const imported = bundleImports();
    const declared = new Set(Object.keys(pkg.dependencies));
    const missing = [...imported].filter((n) => !declared.has(n));
    const unused = [...declared].filter((n) => !imported.has(n));
    expect(missing, 'imported by out/main but not in dependencies: the packaged app would not find them').toEqual([]);
    expect(unused, 'in dependencies but never loaded by the app: dead weight in every installer (move to devDependencies)').toEqual([]);
    expect(imported.has('better-sqlite3') || imported.has('better-sqlite3-multiple-ciphers')).toBe(true);
  });

  it('ships no dead weight: only the bundles and the run-time packages, no sources or build objects', () => {
    const result = checkPackedApp({ appOutDir, platform: 'linux', productName: 'Tern', electronVersion, expectedAbi: Number(process.versions.modules) });
    expect(result.problems).toEqual([]);
    // The whole app (asar + unpacked native module) in a few MB; 100 MB before dependencies were sorted out.
    expect(result.sizes.asar + result.sizes.unpacked).toBeLessThan(15_000_000);
    expect(result.nativeModules.map((m) => m.path)).toEqual([expect.stringMatching(/^\/node_modules\/better-sqlite3[^/]*\/build\/Release\/better_sqlite3\.node$/)]);
  });

  it('the after-pack check refuses a native module built for Node instead of Electron (as npm ci builds it here)', async () => {
    const result = checkPackedApp({ appOutDir, platform: 'linux', productName: 'Tern', electronVersion });
    expect(result.problems).toEqual([expect.stringMatching(new RegExp(`better_sqlite3\\.node was built for ABI ${process.versions.modules}, but Electron ${electronVersion.replace(/\./g, '\\.')} needs ABI \\d+`))]);
    // The hook electron-builder runs fails the build the same way.
    const context = { appOutDir, electronPlatformName: 'linux', packager: { config: { electronVersion }, info: { framework: { version: electronVersion } }, appInfo: { productFilename: 'Tern' } } };
    await expect(afterPack(context)).rejects.toThrow(/packed app check failed[\s\S]*needs ABI/);
  });
});

describe('packed-app check', () => {
  it('finds sources, build objects, maps, renderer packages and native modules inside the asar', async () => {
    const asar = require('@electron/asar') as typeof Asar;
    const dir = mkdtempSync(join(tmpdir(), 'tern-badpack-'));
    try {
      const app = join(dir, 'app');
      const files: Record<string, string> = {
        'out/main/index.js': 'x',
        'out/main/index.js.map': '{}',
        'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c': 'c',
        'node_modules/better-sqlite3/build/Release/obj.target/x.o': 'o',
        'node_modules/vue/index.js': 'v',
        'node_modules/other/build/Release/other.node': 'node_register_module_v115',
      };
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(join(app, p, '..'), { recursive: true });
        writeFileSync(join(app, p), text);
      }
      const resources = join(dir, 'out', 'resources');
      mkdirSync(resources, { recursive: true });
      await asar.createPackage(app, join(resources, 'app.asar'));
      const problems = checkPackedApp({ appOutDir: join(dir, 'out'), platform: 'linux', productName: 'Tern', electronVersion, expectedAbi: 150 }).problems.join('\n');
      expect(problems).toMatch(/source map: \/out\/main\/index\.js\.map/);
      expect(problems).toMatch(/native module sources: \/node_modules\/better-sqlite3/);
      expect(problems).toMatch(/native build objects: \/node_modules\/better-sqlite3/);
      expect(problems).toMatch(/renderer package.*\/node_modules\/vue/);
      expect(problems).toMatch(/native module inside app\.asar \(cannot load\): \/node_modules\/other\/build\/Release\/other\.node/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the ABI a native module was built for from the binary', () => {
    const built = readFileSync(join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
    expect(nativeModuleAbi(built)).toBe(Number(process.versions.modules));
    expect(nativeModuleAbi(Buffer.from('\0napi_register_module_v1\0'))).toBe('napi');
    expect(nativeModuleAbi(Buffer.from('nothing'))).toBeNull();
  });
});
