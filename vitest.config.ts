import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Kernel tests share the host's netns namespace list; keep files from racing on them.
    fileParallelism: true,
  },
});
