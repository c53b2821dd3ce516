import { defineConfig } from 'vitest/config';

// Vitest runs the Node-side suites (Dawn on a software adapter in CI). GPU suites share one
// device per file; they are slow on CPU adapters, so timeouts are generous and files run
// in parallel only up to the core count.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
