import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // One build of the program for the whole run, outside the checkout (see the file).
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Test files run in parallel, kernel tests included: each names its network namespaces after
    // its process id (kc-<pid>-…), so files must run in separate processes (forks, not threads).
    // The rest of netfilter state is per namespace; the one host-wide thing, the xtables lock of
    // the legacy backend, is waited for by iptables-legacy-restore, not failed on.
    pool: 'forks',
    fileParallelism: true,
  },
});
