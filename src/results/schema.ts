import type { BenchStats } from '../bench/benchmark.js';
import type { MachineProvenance } from '../bench/provenance.js';
import type { DataQualitySummary } from '../util/data-quality.js';
import type { ModelFamily } from '../models/family.js';
import type { QuantizationRecipe } from '../quantize/recipe.js';
import type { SearchResult } from '../quantize/search/search.js';

export type { BrowserBackend, BrowserBenchFailure, BrowserBenchResult, BrowserDeviceInfo, BrowserDeviceReport } from './devices.js';

/**
 * results.json, the record `edgeopt run` writes and `select`, `report` and `demo` read.
 * Versioned: readers check `schemaVersion` and refuse what they do not understand.
 */
export const RESULTS_SCHEMA_VERSION = 1;

export interface RunResults {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  tool: { name: 'edgeopt'; version: string };
  createdAt: string;
  /** 'complete', or 'partial' when a step failed or the run was interrupted (see `errors`). */
  status: 'complete' | 'partial';
  environment: MachineProvenance;
  model: ModelInfo;
  settings: RunSettings;
  variants: VariantResult[];
  findings: string[];
  /** One line per variant: the profile's verdict on why it is as fast as it is (a subset of findings). */
  headlines?: string[];
  selection?: SelectionResult;
  /** Bad images and labels skipped in the evaluation and calibration data (each was warned about by name). */
  dataQuality?: { eval?: DataQualitySummary; calibration?: DataQualitySummary };
  /** The model contract the run used (how images were fed and outputs read), and where each field came from. */
  contract?: ContractRecord;
  /** Whether the FP32 model's decoded output made sense on the first labelled images; accuracy is reported only if it did. */
  accuracyCheck?: AccuracyCheck;
  /** The INT8 search behind the int8-auto variant: its verdict, the recipe it chose and its trace (absent when not run). */
  search?: SearchRecord;
  /** Browser benchmarks posted by `edgeopt demo` from other devices. */
  devices?: DeviceReport[];
  errors: Array<{ step: string; variant?: string; message: string }>;
}

/**
 * `quantize --mode auto` inside `edgeopt run`: what it was asked (accuracy and time budget), what it measured
 * (trace: every candidate with predicted and measured latency, fidelity and paired mAP), and the verdict. With
 * 'found', `variant` is the model it wrote and `recipe` its configuration (also in `recipePath`, beside the model);
 * with 'none', no model was written and `reason` says why, from the profile. Its own latency figures come from its
 * verification benchmark; the variant's row in `variants` is measured again with the others, side by side.
 */
export interface SearchRecord extends Omit<SearchResult, 'model' | 'report' | 'recipe'> {
  /** The variant it built ('int8-auto'), when the verdict is 'found'. */
  variant?: string;
  /** The recipe's file name inside the output directory (reproduce: `edgeopt quantize model.onnx -o x.onnx --recipe <it>`). */
  recipePath?: string;
  recipe?: QuantizationRecipe;
  /** Largest paired mAP50-95 drop accepted (points), or the SQNR floor used without labelled data. */
  accuracyBudget: { maxDrop: number; evalData?: string; evalImages?: number } | { minSqnrDb: number; why: string };
  budgetMinutes: number;
}

export interface ModelInfo {
  /** What the user asked for: a path, or 'default' for the built-in synthetic model. */
  source: string;
  name: string;
  family?: ModelFamily | string;
  /** True for the built-in model with seeded synthetic weights: latency is valid, accuracy is not. */
  synthetic: boolean;
  inputShape?: number[];
  notes: string[];
}

export interface RunSettings {
  runs: number;
  warmup: number;
  rounds: number;
  scenarios: string[];
  evalData?: string;
  calibData?: string;
  skipped: string[];
}

export interface VariantResult {
  /** Stable id: 'fp32', 'int8-dynamic', 'int8-static-full', 'fp16', … */
  name: string;
  /** What the variant is, in words. */
  description: string;
  /** File name of the model inside the output directory. */
  path: string;
  sizeBytes: number;
  analysis: VariantAnalysis;
  /** How the variant was made (quantizer report), when it was. */
  build?: { seconds: number; details: Record<string, unknown> };
  benchmarks: {
    controlled?: BenchStats;
    practical?: BenchStats;
    practicalThreads?: number;
    sweep?: Array<{ threads: number; stats: BenchStats }>;
  };
  profile?: { scenario: string; totalMs: number; opTypes: Array<{ opType: string; ms: number; share: number; count: number }> };
  accuracy?: { images: number; map50: number; map50_95: number; precision: number; recall: number };
  /**
   * 'measured', or why accuracy is absent: 'not measured: contract mismatch' (the FP32 check failed: any number
   * would be wrong), 'not measured: no decoder', 'not measured: no labelled data', 'not measured: failed'.
   */
  accuracyStatus?: AccuracyStatus;
  /**
   * Output fidelity vs FP32 on real images. `cosine` and `maxAbsDiff` are the worst over the outputs (for a
   * one-output model, that output's); `detectionAgreement` is the share of FP32's detections this variant also
   * finds (recall), `detectionF1` the F1 of its detections against FP32's, both at IoU 0.5 and conf 0.25.
   */
  fidelity?: {
    cosine: number;
    maxAbsDiff: number;
    detectionAgreement?: number;
    images?: number;
    sqnrDb?: number | null;
    detectionF1?: number;
    /** Why detection agreement is absent although a decoder was chosen. */
    detectionsNote?: string;
    outputs?: Array<{ name: string; cosine: number; sqnrDb: number | null; maxAbsDiff: number; note?: string }>;
  };
  /** Achieved GMAC/s in the controlled scenario and whether it is physically plausible. */
  plausibility?: { gmacPerS: number; plausible: boolean; note?: string };
  errors: string[];
}

export type AccuracyStatus =
  | 'measured'
  | 'not measured: contract mismatch'
  | 'not measured: no decoder'
  | 'not measured: no labelled data'
  | 'not measured: failed';

export interface ContractRecord {
  /** The contract as flags (`--preprocess … --decoder …`): paste them to reproduce. */
  summary: string;
  decoder?: string;
  /** Why there is no decoder, and which flag settles it. */
  decoderProblem?: string;
  /** With no decoder: the decoders (and preprocessing) that made sense on a few labelled images, measured, as flags to try. */
  decoderSuggestion?: string;
  /** field → where it came from, in words. */
  sources: Record<string, string>;
  assumptions: string[];
}

export interface AccuracyCheck {
  fits: boolean;
  /** The failed check, in words, and the flags to try. */
  reason?: string;
  suggestion?: string;
  images: number;
  map50?: number;
}

export interface VariantAnalysis {
  nodes: number;
  parameters: number;
  parameterBytes: number;
  macs: number;
  opCounts: Record<string, number>;
  quantization: Record<string, number>;
}

export interface SelectionResult {
  scenario: string;
  constraints: SelectionConstraints;
  chosen?: string;
  /** One line per variant: why it was chosen or rejected, in numbers. */
  reasons: Array<{ variant: string; accepted: boolean; text: string }>;
  summary: string;
}

export interface SelectionConstraints {
  maxLatencyMs?: number;
  maxSizeMb?: number;
  /** Largest accepted mAP50-95 drop vs FP32, in points (0.5 = half a point). */
  maxMapDrop?: number;
  /**
   * Smallest accepted fidelity vs FP32: detection F1 when a decoder fits, else the worst output cosine. Used
   * instead of mAP when accuracy was not measured, and as a second check when it was.
   */
  minFidelity?: number;
}

/**
 * A device's measurements: a browser that reported from the demo (exactly a `BrowserDeviceReport`, see
 * results/devices.ts), or (in `edgeopt fleet report`) a fleet device. The fleet fields are optional additions,
 * so schemaVersion stays 1.
 */
export interface DeviceReport {
  receivedAt: string;
  device: {
    /** Browsers: the user agent. */
    userAgent?: string;
    hardwareConcurrency?: number;
    platform?: string;
    /** The device's name in the results store. */
    name?: string;
    kind?: 'machine' | 'browser';
    /** Fleet devices: where they measured (memory and the providers that load included). */
    provenance?: MachineProvenance & { memoryBytes?: number; providers?: string[] };
  };
  results: Array<{
    variant: string;
    /** The browser backend (wasm, webgpu) or the execution provider that ran (cpu, …). */
    backend: string;
    threads: number;
    runs: number;
    p50Ms: number;
    meanMs?: number;
    p95Ms?: number;
    /** Fleet devices: the scenario and the 95% CI of the median. */
    scenario?: string;
    medianCi95?: [number, number];
  }>;
  /** Fleet devices with --eval: accuracy measured on the device. */
  accuracy?: Array<{ variant: string; dataset: string; images: number; map50: number; map50_95: number; precision: number; recall: number }>;
  /** Fleet devices: the selection made from this device's own numbers. */
  selection?: SelectionResult;
}
