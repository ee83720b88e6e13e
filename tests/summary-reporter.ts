// Prints one plain closing line, `<name>: N passed, N failed, N skipped`, after
// Vitest's own summary, so the totals of each `npm test` step are easy to read;
// before it, one line per skipped test that says why (its name).
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  constructor(private readonly name: string) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedNames: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          skippedNames.push(`${module.moduleId.split('/tests/').pop()}: ${test.name}`);
        }
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    for (const name of skippedNames) process.stdout.write(`\nskipped ${name}`);
    process.stdout.write(`\n${this.name}: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
