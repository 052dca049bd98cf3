import { dequantizeModel } from './dequantize/index.js';
import { quantizeDynamic } from './dynamic.js';
import { fp16Mode } from './fp16-mode.js';
import { staticMode } from './static/index.js';
import type { QuantizeMode } from './types.js';

/**
 * Quantization modes by name: the CLI's `--mode` choices and `quantizeModelFile`'s dispatch.
 * Adding a mode (static, fp16, …) is one entry here; each mode reads the options it documents.
 */
export const modes: Record<string, QuantizeMode> = {
  dynamic: async (model, options) =>
    quantizeDynamic(model, {
      weightType: options.weightType,
      perChannel: options.perChannel,
      opTypes: options.opTypes,
      exclude: options.exclude,
      symmetricWeights: typeof options.symmetricWeights === 'boolean' ? options.symmetricWeights : undefined,
      snapToGrid: typeof options.snapToGrid === 'boolean' ? options.snapToGrid : undefined,
    }),
  static: staticMode,
  fp16: fp16Mode,
  // The float model of an already-quantized one (weights (q − zp) × scale), to measure as FP32 and re-quantize.
  dequantize: async (model) => dequantizeModel(model),
};

export { quantizeDynamic, MIN_DYNAMIC_OPSET, type DynamicQuantizeOptions } from './dynamic.js';
export { quantizeModelFile, type QuantizeFileOptions, type QuantizeFileResult } from './file.js';
export { computeQParams, quantizeTensor, quantizeValues, roundHalfToEven, quantRange, QUANT_TYPES, type QuantType, type QParams } from './math.js';
export type { QuantizeMode, QuantizeModeOptions, QuantizeReport, QuantizeResult, SkippedNode } from './types.js';
export { quantizeStatic, calibrateStatic, findDetectionHead, type StaticQuantizeOptions, type StaticQuantizeReport, type HeadExclusion } from './static/index.js';
export { convertToFloat16, type Fp16Report } from './fp16.js';
export { dequantizeModel, type DequantizeResult } from './dequantize/index.js';
export { mixedPrecisionSearch, type MixedPrecisionReport } from './mixed.js';
export { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate/index.js';
