import type { QuantizeOptions } from '../quantize/modes.js';
import { EdgeoptError } from '../util/errors.js';

/**
 * The variants `edgeopt run` builds from the FP32 model. Each is one quantizer call with fixed, documented options,
 * or (int8-auto) the INT8 search of `quantize --mode auto`, which writes its recipe beside the model: either way a
 * report row can always be reproduced with `edgeopt quantize`. The INT8 candidate of a default run is the search's;
 * the hand-tuned static presets stay available through `--variants` as reference points.
 */
export interface VariantPlan {
  name: string;
  description: string;
  file: string;
  /** Quantizer options; undefined for the FP32 original and the search. */
  quantize?: QuantizeOptions;
  /** Found by the latency- and accuracy-aware INT8 search on this model and device (`quantize --mode auto`). */
  search?: true;
  /** Built when --variants is not given. */
  byDefault: boolean;
  /** Needs calibration images (static INT8). */
  needsCalibration: boolean;
  /**
   * Built from the graph after edgeopt's exact rewrites (src/optimize) rather than the original.
   * The FP32 baseline stays the user's original model, so every ratio is against what they have.
   */
  fromOptimized?: boolean;
}

export const VARIANT_PLANS: readonly VariantPlan[] = [
  { name: 'fp32', description: 'original FP32 model', file: 'model.onnx', needsCalibration: false, byDefault: true },
  {
    name: 'fp32-optimized',
    description: "FP32 after edgeopt's exact graph rewrites (DFL softmax on the last axis): same outputs, no quantization",
    file: 'model_fp32_optimized.onnx',
    needsCalibration: false,
    byDefault: true,
    fromOptimized: true,
  },
  {
    name: 'int8-dynamic',
    description: "dynamic INT8 (onnxruntime quantize_dynamic: uint8 weights, activations quantized at run time) — the study's variant",
    file: 'model_int8_dynamic.onnx',
    quantize: { mode: 'dynamic', weightType: 'uint8' },
    needsCalibration: false,
    byDefault: true,
  },
  {
    name: 'fp16',
    description: 'FP16 weights and compute, FP32 inputs/outputs',
    file: 'model_fp16.onnx',
    quantize: { mode: 'fp16', keepIoTypes: true },
    needsCalibration: false,
    byDefault: true,
  },
  {
    name: 'int8-auto',
    description: 'static QDQ INT8 found by the search on this device (quantize --mode auto): which nodes stay float, calibration per tensor and rewrites chosen from profiles, measured latency and paired accuracy; recipe beside the model',
    file: 'model_int8_auto.onnx',
    search: true,
    needsCalibration: true,
    byDefault: true,
  },
  {
    name: 'int8-static-full',
    description: 'static QDQ INT8 of the optimized graph, whole body (Conv, SiLU, Add, Concat, MaxPool, Resize); stem conv, DFL and box decoding in float; percentile 99.999 calibration',
    file: 'model_int8_static_full.onnx',
    quantize: { mode: 'static', ops: 'all', excludeHead: 'decode', skipStem: true, method: 'percentile', percentile: 99.999 },
    needsCalibration: true,
    fromOptimized: true,
    byDefault: false,
  },
  {
    name: 'int8-static-headconv',
    description: 'as int8-static-full, but the last conv of each head branch also stays float (accuracy first)',
    file: 'model_int8_static_headconv.onnx',
    quantize: { mode: 'static', ops: 'all', excludeHead: 'final-convs', skipStem: true, method: 'percentile', percentile: 99.999 },
    needsCalibration: true,
    fromOptimized: true,
    byDefault: false,
  },
  {
    name: 'int8-static-conv',
    description: 'static QDQ INT8 of the convolutions only (SiLU and the rest in float), head decoding in float, percentile 99.999',
    file: 'model_int8_static_conv.onnx',
    quantize: { mode: 'static', ops: 'conv', excludeHead: 'decode', skipStem: true, method: 'percentile', percentile: 99.999 },
    needsCalibration: true,
    fromOptimized: true,
    byDefault: false,
  },
  {
    name: 'int8-static-with-head',
    description: 'static QDQ INT8 of everything, detection head and stem included, min-max calibration (what head exclusion protects against)',
    file: 'model_int8_static_with_head.onnx',
    quantize: { mode: 'static', ops: 'all', excludeHead: false, skipStem: false, method: 'minmax' },
    needsCalibration: true,
    fromOptimized: true,
    byDefault: false,
  },
];

/** The variants a run builds: fp32 always, then `--variants` when given, else the defaults. */
export function plannedVariants(names: readonly string[] | undefined): VariantPlan[] {
  return VARIANT_PLANS.filter((p) => p.name === 'fp32' || (names ? names.includes(p.name) : p.byDefault));
}

/** Fails with one line (the CLI prints the same) when a name is not one of the variants `edgeopt run` builds. */
export function assertKnownVariants(names: readonly string[] | undefined): void {
  for (const v of names ?? []) {
    if (!VARIANT_PLANS.some((p) => p.name === v)) throw new EdgeoptError(`unknown variant '${v}' (choose from ${VARIANT_PLANS.map((p) => p.name).join(', ')})`);
  }
}
