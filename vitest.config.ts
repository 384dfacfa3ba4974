import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // every property test runs with one fixed seed, printed at the start (GRAPH_BULK_TEST_SEED to change it)
    setupFiles: ['test/helpers/seed.ts'],
    globalSetup: ['test/helpers/seed-banner.ts'],
  },
});
