import os from 'node:os';
import { basename } from 'node:path';
import { EdgeoptError, describeError } from '../util/errors.js';
import { assertReadableFile } from '../util/fs.js';
import { runInChild, DEFAULT_CHILD_TIMEOUT_MS } from './child.js';
import type { InputSpec } from './input.js';
import { machineProvenance, type MachineProvenance, type Provenance, type RunProvenance } from './provenance.js';
import type { PlainTensor } from '../runtime/runtime.js';
import { scenarioRuns, type ScenarioName, type ScenarioRun } from './scenarios.js';
import { computeTimingStats, isPreciseEnough, type TimingStats } from './stats.js';
import type { BenchReply } from './worker-protocol.js';

/**
 * Benchmarks models in fresh child processes: one child per (model, scenario, threads) and round.
 * Each round starts the run sets in a rotated order, and their timings are pooled, so slow drift of
 * the machine (other jobs, thermals) lands on every variant alike instead of on whichever ran last.
 * After the planned rounds, run sets whose median is not yet known to ±2% (95% bootstrap CI) get
 * extra rounds until they are, or until `maxRuns` — then `capHit` says the cap stopped them.
 */
export interface BenchOptions {
  scenarios?: ScenarioName[];
  /** Timed runs per run set, split evenly over the rounds (default 100). */
  runs?: number;
  /** Untimed warm-up runs in every child (default 10). */
  warmup?: number;
  /** Rounds of children per run set (default 3). */
  rounds?: number;
  /** Cap on pooled timed runs per run set while the CI is too wide (default 5 × runs). */
  maxRuns?: number;
  /** Target relative half-width of the median's 95% CI (default 0.02). */
  targetCiRel?: number;
  /** Shape of the model's first float input (symbolic dims otherwise become 1). */
  inputShape?: number[];
  /** A real input tensor (e.g. a letterboxed image) instead of seeded random data. */
  inputImage?: PlainTensor;
  inputSeed?: number;
  /** Execution providers to try in order (default ['cpu']); the one that loaded is in the provenance. */
  providers?: string[];
  /** Time limit per child process (default 600 s). */
  timeoutMs?: number;
  /**
   * A time limit for the whole call (ms since the epoch): each child gets at most what is left, and
   * run sets not started by then fail with a timeout. The fleet agent's job limit.
   */
  deadline?: number;
  /** Children lead their own process group (see ChildOptions.detached). */
  detachChildren?: boolean;
  /** Cores for 'practical' and 'sweep' (default os.availableParallelism()). */
  cores?: number;
  onProgress?: (event: BenchProgress) => void;
}

export interface BenchProgress {
  model: string;
  scenario: ScenarioName;
  threads: number;
  round: number;
  /** Children finished so far / planned (extra rounds raise the plan). */
  done: number;
  planned: number;
  pooledRuns: number;
  p50Ms?: number;
  error?: string;
}

export interface BenchStats extends TimingStats {
  /** Warm-up runs per child. */
  warmup: number;
  /** Median session creation time over the children. */
  sessionCreateMs: number;
  /** Median first-inference time over the children (cold start). */
  firstRunMs: number;
  /** Highest peak resident set size of any child. */
  peakRssMb: number;
  /** True when maxRuns stopped the run set before its CI reached the target. */
  capHit: boolean;
  /** Child processes (rounds) pooled. */
  children: number;
  targetCiRel: number;
}

export interface BenchResult {
  model: string;
  scenario: ScenarioName;
  threads: number;
  /** Missing only when no child produced timings. */
  stats?: BenchStats;
  /** All pooled timed runs, in the order measured (round by round). */
  timingsMs: number[];
  /** A one-line failure (crash, timeout, load error); later rounds of this run set are skipped. */
  error?: string;
  /** True when an error stopped the run set after some rounds had produced timings. */
  partial: boolean;
  provenance: Provenance;
}

interface RunSetState {
  model: string;
  run: ScenarioRun;
  replies: BenchReply[];
  timingsMs: number[];
  error?: string;
  stats?: TimingStats;
}

export const DEFAULT_RUNS = 100;
export const DEFAULT_WARMUP = 10;
export const DEFAULT_ROUNDS = 3;
export const MAX_RUNS_LIMIT = 100_000;

function validate(options: BenchOptions): Required<Pick<BenchOptions, 'runs' | 'warmup' | 'rounds' | 'maxRuns' | 'targetCiRel' | 'timeoutMs' | 'cores'>> {
  const runs = options.runs ?? DEFAULT_RUNS;
  const warmup = options.warmup ?? DEFAULT_WARMUP;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const maxRuns = options.maxRuns ?? 5 * runs;
  const intIn = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new EdgeoptError(`${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  intIn('runs', runs, 1, MAX_RUNS_LIMIT);
  intIn('warmup', warmup, 0, 10_000);
  intIn('rounds', rounds, 1, 100);
  intIn('maxRuns', maxRuns, runs, MAX_RUNS_LIMIT);
  const targetCiRel = options.targetCiRel ?? 0.02;
  if (!(targetCiRel > 0 && targetCiRel < 1)) throw new EdgeoptError(`targetCiRel must be between 0 and 1, got ${targetCiRel}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new EdgeoptError(`timeout must be positive, got ${timeoutMs}`);
  const cores = options.cores ?? os.availableParallelism();
  intIn('cores', cores, 1, 4096);
  return { runs, warmup, rounds, maxRuns, targetCiRel, timeoutMs, cores };
}

/** The order in which round `round` visits the run sets: a rotation, so each goes first once. */
export function rotatedOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
}

function runProvenance(reply: BenchReply): RunProvenance {
  return {
    provider: reply.provider,
    failedProviders: reply.failedProviders,
    sessionOptions: reply.sessionOptions,
    inputs: reply.inputs,
    gcBetweenRuns: reply.gcBetweenRuns,
  };
}

function toResult(state: RunSetState, machine: MachineProvenance, warmup: number, maxRuns: number, targetCiRel: number): BenchResult {
  const first = state.replies[0];
  const provenance: Provenance = first ? { ...machine, run: runProvenance(first) } : { ...machine };
  let stats: BenchStats | undefined;
  if (state.timingsMs.length > 0) {
    const timing = state.stats ?? computeTimingStats(state.timingsMs);
    stats = {
      ...timing,
      warmup,
      sessionCreateMs: median(state.replies.map((r) => r.sessionCreateMs)),
      firstRunMs: median(state.replies.map((r) => r.firstRunMs)),
      peakRssMb: Math.max(...state.replies.map((r) => r.peakRssMb)),
      capHit: !state.error && state.timingsMs.length >= maxRuns && !isPreciseEnough(timing, targetCiRel),
      children: state.replies.length,
      targetCiRel,
    };
  }
  return {
    model: state.model,
    scenario: state.run.scenario,
    threads: state.run.threads,
    stats,
    timingsMs: state.timingsMs,
    error: state.error,
    partial: state.error !== undefined && state.timingsMs.length > 0,
    provenance,
  };
}

export async function benchmarkModels(models: string[], options: BenchOptions = {}): Promise<BenchResult[]> {
  if (models.length === 0) throw new EdgeoptError('no models to benchmark');
  const settings = validate(options);
  for (const model of models) await assertReadableFile(model, 'model');
  const scenarios = options.scenarios?.length ? options.scenarios : (['controlled'] as ScenarioName[]);
  const input: InputSpec = { seed: options.inputSeed, shape: options.inputShape, image: options.inputImage };
  const machine = machineProvenance();

  const states: RunSetState[] = [];
  for (const model of models) {
    for (const scenario of scenarios) {
      for (const run of scenarioRuns(scenario, settings.cores)) states.push({ model, run, replies: [], timingsMs: [] });
    }
  }
  const perRound = Math.ceil(settings.runs / settings.rounds);
  let planned = states.length * settings.rounds;
  let done = 0;

  const runRound = async (round: number, members: RunSetState[], runsFor: (s: RunSetState) => number) => {
    for (const state of rotatedOrder(members, round)) {
      if (state.error) continue;
      try {
        const left = options.deadline === undefined ? Infinity : options.deadline - Date.now();
        if (left <= 0) throw new EdgeoptError('the time limit was reached before this run set started');
        const reply = await runInChild(
          { kind: 'bench', model: state.model, config: { ...state.run.config, providers: options.providers }, input, runs: runsFor(state), warmup: settings.warmup },
          { timeoutMs: Math.min(settings.timeoutMs, left), detached: options.detachChildren },
        );
        state.replies.push(reply);
        state.timingsMs.push(...reply.timingsMs);
        state.stats = computeTimingStats(state.timingsMs);
      } catch (err) {
        state.error = `round ${round + 1}: ${describeError(err)}`;
      }
      done++;
      options.onProgress?.({
        model: state.model,
        scenario: state.run.scenario,
        threads: state.run.threads,
        round: round + 1,
        done,
        planned,
        pooledRuns: state.timingsMs.length,
        p50Ms: state.stats?.p50Ms,
        error: state.error,
      });
    }
  };

  for (let round = 0; round < settings.rounds; round++) await runRound(round, states, () => perRound);

  // Adaptive extra rounds for run sets whose median is still imprecise, bounded by maxRuns.
  const needsMore = (s: RunSetState) =>
    !s.error && s.stats !== undefined && s.timingsMs.length < settings.maxRuns && !isPreciseEnough(s.stats, settings.targetCiRel);
  for (let round = settings.rounds; states.some(needsMore); round++) {
    const members = states.filter(needsMore);
    planned += members.length;
    await runRound(round, members, (s) => Math.min(perRound, settings.maxRuns - s.timingsMs.length));
  }

  return states.map((state) => toResult(state, machine, settings.warmup, settings.maxRuns, settings.targetCiRel));
}

/** A short label for a model path in tables and findings. */
export function modelLabel(path: string): string {
  return basename(path).replace(/\.onnx$/i, '');
}
