import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const SRC = fileURLToPath(new URL('./src/', import.meta.url));

/**
 * The edit-test loop (`npm run test:fast`, well under 90 s): pure functions and small in-process tests that
 * start no child process, browser, database or real-model session. Everything else is the `slow` project;
 * `npm test` runs both, which is what CI runs.
 */
const FAST = [
  'test/index.test.ts',
  'test/bench/pure.test.ts',
  'test/bench/stats.test.ts',
  'test/cli/commands.test.ts',
  'test/cli/options.test.ts',
  'test/datasets/formats.test.ts',
  'test/datasets/validate.test.ts',
  'test/datasets/yolo.test.ts',
  'test/diagnose/aggregate.test.ts',
  'test/eval/decode.test.ts',
  'test/eval/decoders/families.test.ts',
  'test/eval/decoders/names.test.ts',
  'test/eval/fidelity.test.ts',
  'test/eval/map.test.ts',
  'test/fleet/jobs.test.ts',
  'test/image/letterbox.test.ts',
  'test/image/preprocessing.test.ts',
  'test/models/architecture.test.ts',
  'test/models/blocks.test.ts',
  'test/models/metadata.test.ts',
  'test/onnx/model-header.test.ts',
  'test/optimize/rewrite-names.test.ts',
  'test/pt/pickle.test.ts',
  'test/report/report.test.ts',
  'test/select/select.test.ts',
  'test/util/**/*.test.ts',
  'test/web/**/*.test.ts',
];

export default defineConfig({
  resolve: {
    // The demo page imports edgeopt's pure modules as /lib/<module>.js (served from dist/); its unit tests
    // load the same modules from src/, so they need no build.
    alias: [{ find: /^\/lib\/(.*)\.js$/, replacement: `${SRC}$1.ts` }],
  },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Benchmarks and onnxruntime sessions are CPU-bound: running test files in parallel on a
    // 2-core machine only makes each slower and noisier.
    fileParallelism: false,
    // A temporary $EDGEOPT_HOME (commands record into its results.db, never the developer's own), and a
    // throwaway PostgreSQL cluster for the store and fleet tests.
    globalSetup: ['test/global-setup.ts'],
    projects: [
      { extends: true, test: { name: 'fast', include: FAST } },
      { extends: true, test: { name: 'slow', include: ['test/**/*.test.ts'], exclude: FAST } },
    ],
  },
});
