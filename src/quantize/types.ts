import type { LoadedModel } from '../onnx/types.js';
import type { Progress } from '../util/progress.js';
import type { QuantType } from './math.js';

/**
 * What every quantization mode reads besides its own options. Each mode's full option record extends this
 * (see `quantize/modes.ts`: one discriminated union keyed on `mode`).
 */
export interface CommonModeOptions {
  /** Node names, op types or output tensor names to leave in float. */
  exclude?: string[];
  progress?: Progress;
}

export interface SkippedNode {
  node: string;
  opType: string;
  reason: string;
}

/** What a quantizer did, as a versioned record (printed by the CLI, stored by reports). */
export interface QuantizeReport {
  schemaVersion: 1;
  mode: string;
  /** Storage type of the converted weights ('float16' for the FP16 mode, 'float32' for dequantize). */
  weightType: QuantType | 'float16' | 'float32';
  perChannel: boolean;
  /** Whether weights were quantized with a symmetric range (zero point in the middle). */
  symmetricWeights: boolean;
  /** Original op type → number of nodes quantized. */
  quantized: Record<string, number>;
  quantizedNodes: number;
  skipped: SkippedNode[];
  /** Entries of `exclude` that matched no node (probably a typo). */
  unmatchedExcludes: string[];
  /** Op type → number of nodes the quantizer added (ConvInteger, DynamicQuantizeLinear, Cast, …). */
  inserted: Record<string, number>;
  /** gridSnapped: weight tensors whose scale was kept from an existing quantization grid. */
  weights: { tensors: number; floatBytes: number; quantizedBytes: number; gridSnapped: number };
  nodesBefore: number;
  nodesAfter: number;
  /** Decisions the user should know about (e.g. per-channel Conv forced symmetric). */
  notes: string[];
}

export interface QuantizeResult {
  model: LoadedModel;
  report: QuantizeReport;
}

/** One entry of the mode dispatch table: quantize a loaded model with the mode's own options, never touching the input. */
export type QuantizeMode<Options extends CommonModeOptions = CommonModeOptions> = (model: LoadedModel, options: Options) => Promise<QuantizeResult>;
