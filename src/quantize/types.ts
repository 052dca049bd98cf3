import type { LoadedModel } from '../onnx/types.js';
import type { Progress } from '../util/progress.js';
import type { QuantType } from './math.js';

/**
 * Options every quantization mode understands. Modes add their own (calibration data, fp16 I/O …)
 * through the open index signature; each mode documents which keys it reads.
 */
export interface QuantizeModeOptions {
  /** Storage type of quantized weights. dynamic: 'uint8' (onnxruntime's quantize_dynamic default). */
  weightType?: QuantType;
  /** One scale per output channel instead of one per tensor. */
  perChannel?: boolean;
  /** Op types to quantize (default: every op type the mode has a rule for). */
  opTypes?: string[];
  /** Node names, op types or output tensor names to leave in float. */
  exclude?: string[];
  progress?: Progress;
  [option: string]: unknown;
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

/** One entry of the mode dispatch table: quantize a loaded model, never touching the input. */
export type QuantizeMode = (model: LoadedModel, options: QuantizeModeOptions) => Promise<QuantizeResult>;
