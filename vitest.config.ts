import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const SRC = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  resolve: {
    // The demo page imports edgeopt's pure modules as /lib/<module>.js (served from dist/); its unit tests
    // load the same modules from src/, so they need no build.
    alias: [{ find: /^\/lib\/(.*)\.js$/, replacement: `${SRC}$1.ts` }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Benchmarks and onnxruntime sessions are CPU-bound: running test files in parallel on a
    // 2-core machine only makes each slower and noisier.
    fileParallelism: false,
    // A temporary $EDGEOPT_HOME (commands record into its results.db, never the developer's own), and a
    // throwaway PostgreSQL cluster for the store and fleet tests.
    globalSetup: ['test/global-setup.ts'],
  },
});
