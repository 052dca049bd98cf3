/** Measuring models: scenarios, child-process benchmarking, statistics, provenance, plausibility. */
export { scenarioRuns, parseScenarios, controlledConfig, SCENARIO_NAMES, type ScenarioName, type ScenarioRun } from './scenarios.js';
export { makeInputTensors, resolveInputShape, type InputSpec } from './input.js';
export {
  computeTimingStats,
  percentile,
  percentileSorted,
  bootstrapMedianCi95,
  isPreciseEnough,
  type TimingStats,
} from './stats.js';
export {
  benchmarkModels,
  rotatedOrder,
  modelLabel,
  DEFAULT_RUNS,
  DEFAULT_WARMUP,
  DEFAULT_ROUNDS,
  type BenchOptions,
  type BenchProgress,
  type BenchResult,
  type BenchStats,
} from './benchmark.js';
export { runInChild, DEFAULT_CHILD_TIMEOUT_MS, type ChildOptions } from './child.js';
export { measureHarnessOverhead, type HarnessOverhead } from './overhead.js';
export {
  machineProvenance,
  parseCpuInfo,
  relevantIsaFlags,
  type MachineProvenance,
  type RunProvenance,
  type Provenance,
  type IsaInfo,
} from './provenance.js';
export {
  checkPlausibility,
  checkRunPlausibility,
  peakMacsPerCycle,
  peakGmacPerSecond,
  inferPrecision,
  ASSUMED_MAX_CLOCK_GHZ,
  type ComputePrecision,
  type PlausibilityCheck,
} from './plausibility.js';
export { formatBenchTable, type BenchRow } from './format.js';
export { parseProfileTrace, readProfileTrace, type ProfileTrace, type KernelEvent, type RunEvent } from './trace.js';
