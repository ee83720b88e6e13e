/**
 * electron-vite build of the three bundles:
 *   out/main      the main process (ESM; node_modules stay external, the SQLite addon (better-sqlite3-multiple-ciphers) above all),
 *                 and core-worker.js: the entry of the core's worker thread (electron/core/thread/worker.ts)
 *   out/preload   the sandboxed preload: ONE CommonJS file, no Node built-ins, everything inlined
 *   out/renderer  the Vue app (also served by the web shell)
 * TERN_UPDATE_URL (at build time) is the generic-provider feed of electron-updater;
 * TERN_UPDATE_PUBLIC_KEYS the Ed25519 keys whose signature a release needs
 * (docs/RELEASING.md). A feed without keys is refused: it could only fail.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { parsePublicKeys } from './electron/main/update-signature';

const updateUrl = process.env.TERN_UPDATE_URL ?? '';
const updateKeys = process.env.TERN_UPDATE_PUBLIC_KEYS ?? '';
if (updateUrl && parsePublicKeys(updateKeys).length === 0) {
  throw new Error('TERN_UPDATE_URL is set but TERN_UPDATE_PUBLIC_KEYS is not: every update would be refused. See docs/RELEASING.md.');
}
// The tests' key pair is public (its secret is in the repository): a release pinning it could be updated by anyone.
const testOnlyKey = readFileSync(resolve('tests/fixtures/update-signing/TEST-ONLY-key.pub'), 'utf8').trim();
if (updateKeys.includes(testOnlyKey)) throw new Error('TERN_UPDATE_PUBLIC_KEYS contains the tests’ TEST-ONLY key; pin the release key instead.');

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve('electron/main/index.ts'), 'core-worker': resolve('electron/core/thread/worker.ts') },
        external: ['better-sqlite3-multiple-ciphers'],
      },
    },
    define: { __TERN_UPDATE_URL__: JSON.stringify(updateUrl), __TERN_UPDATE_KEYS__: JSON.stringify(updateKeys) },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Sandboxed preloads cannot require() anything but a few Electron modules: bundle it all.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: 'renderer',
    // Relative asset URLs: the same bundle loads from file:// (Electron) and http:// (web shell).
    base: './',
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      minify: true,
      sourcemap: true,
      target: 'es2022',
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
