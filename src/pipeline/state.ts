/**
 * One run of `edgeopt run` as data: what every stage reads (the resolved options, the model, the contract, the
 * data) and the record they fill in (`results`, written only through `writer`). Each stage in `stages/` is a
 * function of this state; `run.ts` calls them in order.
 */
import type { ScenarioName } from '../bench/scenarios.js';
import type { Profile } from '../diagnose/index.js';
import type { ContractFlags, ResolvedContract } from '../eval/contract/types.js';
import type { MetadataStamp } from '../onnx/builder.js';
import type { CalibrationSample, CalibrationSource } from '../quantize/calibrate/index.js';
import type { RunResults, VariantResult } from '../results/schema.js';
import type { DataQualityOptions } from '../util/data-quality.js';
import type { Progress } from '../util/progress.js';
import type { PreparedModel } from './model-source.js';
import type { ResultsWriter } from './results-writer.js';

/** What `runPipeline` is asked to do (the library API; `edgeopt run` builds it from flags). */
export interface RunOptions {
  /** `--preprocess`, `--decoder`, `--aux-input` as parsed flags (the rest from the model's contract). */
  contract?: ContractFlags;
  /** A .onnx or .pt path, a named model ('yolov5n', …), 'default', or undefined for the default choice. */
  model?: string;
  outDir: string;
  runs?: number;
  warmup?: number;
  rounds?: number;
  scenarios?: ScenarioName[];
  /** YOLO-format dataset for accuracy; undefined = shared coco_val128 when present; false = skip. */
  evalData?: string | false;
  evalImages?: number;
  /** Image folder for static INT8 calibration; undefined = shared coco128 when present; false = skip. */
  calibData?: string | false;
  calibImages?: number;
  /** Largest accepted share of bad images or labels in the eval and calibration data, 0..1 (default 0.05). */
  maxBad?: number;
  /** Fail at the first bad image or label. */
  strict?: boolean;
  /** Only build these variants (fp32 is always included); default: fp32-optimized, int8-dynamic, fp16, int8-auto. */
  variants?: string[];
  /** The INT8 search (int8-auto): largest paired mAP50-95 drop accepted, points (default 0.3). */
  maxDrop?: number;
  /** The INT8 search's time budget, ms (default 10 minutes). */
  searchBudgetMs?: number;
  /**
   * Told when the INT8 search starts (true) and ends (false). While it runs, an abort makes the search finish with
   * its best configuration so far (verified and written, with its recipe) before the run stops: the CLI's first
   * Ctrl-C waits for that, a second one exits at once.
   */
  onSearch?: (active: boolean) => void;
  profileRuns?: number;
  /** Per child-process time limit. */
  timeoutMs?: number;
  /** Execution providers for benchmarks and profiles, tried in order (default ['cpu']). */
  providers?: string[];
  progress: Progress;
  /** Aborts between steps (Ctrl-C): results so far are written and marked partial. */
  signal?: AbortSignal;
}

/** RunOptions with the library's defaults applied (see defaults.ts). */
export interface RunSettings {
  outDir: string;
  runs: number;
  warmup: number;
  rounds: number;
  scenarios: ScenarioName[];
  profileRuns: number;
  evalImages?: number;
  calibImages?: number;
  variants?: string[];
  maxDrop?: number;
  searchBudgetMs?: number;
  timeoutMs?: number;
  providers?: string[];
  signal?: AbortSignal;
  onSearch?: (active: boolean) => void;
}

export interface RunState {
  settings: RunSettings;
  progress: Progress;
  /** `--preprocess`/`--decoder`/`--aux-input` as given; each stage resolves the contract from them and the file. */
  flags: ContractFlags;
  /** The contract every written model carries. */
  stamp: MetadataStamp;
  /** outDir/model.onnx: the FP32 baseline every variant is compared with. */
  fp32Path: string;
  source: PreparedModel;
  contract: ResolvedContract;
  evalData?: string;
  calibData?: string;
  calibration?: { source: CalibrationSource; description: string; note?: string; steering?: AsyncIterable<CalibrationSample> };
  dataRules: Pick<DataQualityOptions, 'maxBad' | 'strict'>;
  results: RunResults;
  writer: ResultsWriter;
  /** Variants that were built (non-empty files), in build order: what every measuring stage measures. */
  built: VariantResult[];
  profiles: Map<string, Profile>;
  /** Records a failed step (in results.errors, on the variant, and as a warning) and carries on. */
  fail(step: string, err: unknown, variant?: VariantResult): void;
  /** Throws the 'interrupted' error when the run's signal fired. */
  checkAbort(): void;
  /** "[n/8] text" on the progress line. */
  stepLine(text: string): void;
}

/** One stage of the run: reads the state, fills its part of `results`, saves through `writer` when it has news. */
export type RunStage = (state: RunState) => Promise<void>;
