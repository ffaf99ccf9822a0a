import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native maps and forked children: keep each file in its own process.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
