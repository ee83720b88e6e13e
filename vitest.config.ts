// Unit and integration tests, one Vitest project per layer: the folders under
// tests/ mirror the source tree (tests/core ↔ electron/core, tests/main ↔
// electron/main, ...). tests/lint/test-projects.test.ts fails if a test file
// sits in a folder no project runs.
// End-to-end browser tests have their own config: tests/e2e/vitest.config.ts.
import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import SummaryReporter from './tests/summary-reporter';

const nodeProject = (name: string, timeout = 20_000) => ({
  test: {
    name,
    include: [`tests/${name}/**/*.test.ts`],
    environment: 'node' as const,
    testTimeout: timeout,
    hookTimeout: timeout,
    // A read outside the repository fails the test: a clone has only the repository (tests/lint/repo-boundary.test.ts).
    setupFiles: ['tests/support/repo-boundary.ts'],
  },
});

export default defineConfig({
  test: {
    reporters: ['default', new SummaryReporter('unit')],
    projects: [
      nodeProject('shared', 60_000),
      nodeProject('lint', 60_000),
      // The server suite runs once per store: SQLite (`server`) and PostgreSQL (`server-postgres`, one private
      // PostgreSQL for the run, a fresh database per test file). *.sqlite.test.ts / *.postgres.test.ts run in one only.
      { test: { ...nodeProject('server', 60_000).test, exclude: ['tests/server/**/*.postgres.test.ts'] } },
      {
        test: {
          ...nodeProject('server', 60_000).test,
          name: 'server-postgres',
          exclude: ['tests/server/**/*.sqlite.test.ts'],
          env: { TERN_TEST_STORE: 'postgres' },
          globalSetup: ['tests/support/postgres-global-setup.ts'],
        },
      },
      nodeProject('cluster', 120_000),
      nodeProject('core', 60_000),
      // Faults injected around real servers and cores (tests/chaos/README.md). `npm run test:chaos` runs this project
      // alone, with `--long` / `--seeds N` / `--soak MINUTES`; the short version here is part of `npm test`.
      nodeProject('chaos', 180_000),
      nodeProject('host', 60_000),
      nodeProject('web-shell'),
      nodeProject('main'),
      nodeProject('preload'),
      nodeProject('build'),
      nodeProject('scripts'),
      // The packaged app (tests/packaged): runs where one was packed (release workflow), skips with one line here.
      nodeProject('packaged', 300_000),
      {
        plugins: [vue()],
        test: {
          name: 'renderer',
          include: ['tests/renderer/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
    ],
  },
});
