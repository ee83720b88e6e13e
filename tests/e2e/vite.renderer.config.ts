// Builds only the renderer into out/renderer (what electron-vite's renderer
// build produces and the web shell serves), for the E2E and UI bench runs.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const repo = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root: `${repo}renderer`,
  base: './',
  plugins: [vue()],
  logLevel: 'warn',
  build: { outDir: `${repo}out/renderer`, emptyOutDir: true, sourcemap: true, target: 'es2022' },
});
