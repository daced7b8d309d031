import { defineConfig } from 'vitest/config';

// Two groups: everything else first (files in parallel), then the Kafka integration suites one
// file at a time — they start private Kafka clusters (JVMs) and kill brokers and instances, which
// would otherwise starve the latency-sensitive end-to-end tests on a 2-core machine.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/integration/kafka/**'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'kafka', include: ['test/integration/kafka/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
