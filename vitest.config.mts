import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{charts,constructs,generators,infra,stacks,scripts,testing,backstage-config}/**/*.test.ts',
    ],
    // Synthesis is CPU-bound and the suite is small: threads start faster than forks.
    pool: 'threads',
  },
});
