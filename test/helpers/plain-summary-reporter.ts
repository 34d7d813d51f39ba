/**
 * Prints one closing line `N passed, N failed, N skipped` after vitest's own
 * report: CI tooling reads that plain line to count tests. Above it, one line per
 * failure (`FAILED file › test`), so a CI log cut to its tail still names them.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const names: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') {
          failed++;
          names.push(`FAILED ${mod.moduleId.replace(`${process.cwd()}/`, '')} › ${test.fullName}`);
        } else skipped++;
      }
      // A file that failed to load has no tests but is a failure.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) {
        failed++;
        names.push(`FAILED ${mod.moduleId.replace(`${process.cwd()}/`, '')} (the file did not load)`);
      }
    }
    const list = names.length > 0 ? `\n${names.join('\n')}` : '';
    process.stdout.write(`${list}\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
