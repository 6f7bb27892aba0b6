import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own local stack on free ports; files run in parallel workers.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
