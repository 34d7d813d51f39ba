import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real terraform/postgres/prometheus processes: two cores, so keep it modest.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/plain-summary-reporter.ts'],
    // What the CLI writes to a terminal depends on the locale (src/cli/render/charset.ts): the tests read it in a
    // UTF-8 one whatever the machine's, unless a case sets another.
    env: { LC_ALL: 'C.UTF-8' },
  },
});
