import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file starts its own local stack on free ports; files run in parallel workers.
    pool: 'forks',
    // LOCAL_RUNTIME=bundles: cdk.out is synthesized here first (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
