/**
 * electron-vite build of the three bundles:
 *   out/main      the main process (ESM; node_modules stay external, better-sqlite3 above all)
 *   out/preload   the sandboxed preload: ONE CommonJS file, no Node built-ins, everything inlined
 *   out/renderer  the Vue app (also served by the web shell)
 * TERN_UPDATE_URL (at build time) is the generic-provider feed of electron-updater.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const updateUrl = process.env.TERN_UPDATE_URL ?? '';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve('electron/main/index.ts') },
        external: ['better-sqlite3'],
      },
    },
    define: { __TERN_UPDATE_URL__: JSON.stringify(updateUrl) },
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
