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
  },
});
