/** Builds the app bundles (out/renderer is what the web shell serves) once before the E2E run. */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildBundles } from '../../scripts/lib/build-if-stale';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(): void {
  if (process.env.TERN_E2E_SKIP_BUILD !== '1') buildBundles(repoRoot);
  mkdirSync(fileURLToPath(new URL('../../test-results/screenshots', import.meta.url)), { recursive: true });
}
