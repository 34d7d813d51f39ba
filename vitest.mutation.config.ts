/**
 * The unit tests StrykerJS runs against each mutant (`npm run mutation`, see
 * TESTING.md): only the fast unit tests of the group being mutated
 * (scripts/mutation.mjs passes them in WSD_MUTATION_TESTS), no build step.
 */
import { defineConfig } from 'vitest/config';

const tests = process.env.WSD_MUTATION_TESTS?.split(',').filter((t) => t !== '');

export default defineConfig({
  test: {
    include: tests ?? ['test/unit/**/*.test.ts'],
    testTimeout: 60_000,
    maxWorkers: 1,
    // WSD_MUTATION_ISOLATE=0 (groups with `isolate: false` in scripts/mutation.mjs): test files share one module
    // cache across mutant runs instead of re-importing the module graph for each; mutants are switched at run
    // time (static mutants are ignored), so this is safe for tests that do not mock modules or keep global state.
    isolate: process.env.WSD_MUTATION_ISOLATE !== '0',
  },
});
