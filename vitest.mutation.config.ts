/**
 * The unit tests StrykerJS runs against each mutant (`npm run mutation`, see
 * TESTING.md): only the fast tests of the mutated modules, no build step.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/core/names.test.ts',
      'test/unit/state/file-store.test.ts',
      'test/unit/state/file-lock.test.ts',
      'test/unit/tools/transient-errors.test.ts',
      'test/unit/engine/retry.test.ts',
      'test/unit/registry/config.test.ts',
      'test/unit/registry/constraints.test.ts',
    ],
    testTimeout: 60_000,
    maxWorkers: 1,
  },
});
