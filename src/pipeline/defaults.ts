/**
 * The run's defaults, in the library: `runPipeline` called from code gets the same settings as `edgeopt run`
 * (the benchmark's own defaults, not a copy). Variant names are checked by `assertKnownVariants` (variants.ts).
 */
import { DEFAULT_ROUNDS, DEFAULT_RUNS, DEFAULT_WARMUP } from '../bench/benchmark.js';
import type { ScenarioName } from '../bench/scenarios.js';

export const RUN_DEFAULTS = {
  runs: DEFAULT_RUNS,
  warmup: DEFAULT_WARMUP,
  rounds: DEFAULT_ROUNDS,
  scenarios: ['controlled', 'practical'] as readonly ScenarioName[],
  /** Profiled runs per variant (after warm-up): enough for per-op shares, short next to the benchmark. */
  profileRuns: 10,
} as const;
