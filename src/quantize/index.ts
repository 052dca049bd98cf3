import { quantizeDynamic } from './dynamic.js';
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
};

export { quantizeDynamic, MIN_DYNAMIC_OPSET, type DynamicQuantizeOptions } from './dynamic.js';
export { quantizeModelFile, type QuantizeFileOptions, type QuantizeFileResult } from './file.js';
export { computeQParams, quantizeTensor, quantizeValues, roundHalfToEven, quantRange, QUANT_TYPES, type QuantType, type QParams } from './math.js';
export type { QuantizeMode, QuantizeModeOptions, QuantizeReport, QuantizeResult, SkippedNode } from './types.js';
