import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn the built CLI; two workers match the 2-core machines we run on.
    maxWorkers: 2,
    // DuckDB reads every partition the tests wrote, at the end of the run (issue 11).
    globalSetup: ['test/audit/partitions.setup.ts'],
  },
});
