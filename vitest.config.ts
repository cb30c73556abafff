import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // One build of the program for the whole run, outside the checkout (see the file).
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Kernel tests share the host's netns namespace list; keep files from racing on them.
    fileParallelism: true,
  },
});
