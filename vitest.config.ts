import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores on CI machines: keep the pool small so suites do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
    // Property-based and model-based suites run thousands of cases; on a loaded 2-core machine
    // a few seconds is not enough. Timing targets live in bench/, never in tests.
    testTimeout: 60_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
    },
  },
});
