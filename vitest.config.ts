import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Network-namespace tests share host-wide state (`ip netns`); keep files in one worker pool
    // but let them run in parallel: every namespace name carries the worker's pid.
    pool: 'forks',
    // Every scratch folder of the run under one TMPDIR, removed when the run ends.
    globalSetup: ['test/setup/tmpdir.ts'],
  },
});
