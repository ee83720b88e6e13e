/** Builds the renderer into out/renderer (what the web shell serves) once before the E2E run. */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export default async function setup(): Promise<void> {
  if (process.env.TERN_E2E_SKIP_BUILD === '1') return;
  await build({ configFile: fileURLToPath(new URL('./vite.renderer.config.ts', import.meta.url)) });
  mkdirSync(fileURLToPath(new URL('../../test-results/screenshots', import.meta.url)), { recursive: true });
}
