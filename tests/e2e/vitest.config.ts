// End-to-end tests: real server, real client cores behind the web shell, the
// built renderer in Debian's Chromium. One file at a time, one worker, long timeouts.
import { defineConfig } from 'vitest/config';
import SummaryReporter from '../summary-reporter';

export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.test.ts'],
    sequence: { shuffle: false },
    environment: 'node',
    globalSetup: ['tests/e2e/global-setup.ts'],
    // A read outside the repository fails the test (tests/lint/repo-boundary.test.ts).
    setupFiles: ['tests/support/repo-boundary.ts'],
    fileParallelism: false,
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', new SummaryReporter('e2e')],
  },
});
