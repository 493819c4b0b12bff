import { defineConfig } from 'vitest/config';

// Integration tests share one Postgres server and spawn daemons; two cores are all we have,
// so files run in parallel only up to two at a time.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
  },
});
