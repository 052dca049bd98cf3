/** The quantize stage's public surface. The mode table lives in modes.ts (file.ts imports it from there: no cycle). */
export {
  modes,
  runQuantizeMode,
  isQuantizeModeName,
  type QuantizeModeName,
  type QuantizeOptions,
  type QuantizeModeOptionsByName,
  type DynamicModeOptions,
  type DequantizeModeOptions,
} from './modes.js';
export { MODEL_MODE_NAMES, QUANTIZE_MODE_NAMES, SEARCH_MODE_NAMES } from './mode-names.js';
export type { Fp16ModeOptions } from './fp16-mode.js';
export { quantizeDynamic, MIN_DYNAMIC_OPSET, type DynamicQuantizeOptions } from './dynamic.js';
export { quantizeModelFile, type QuantizeFileOptions, type QuantizeFileResult } from './file.js';
export { computeQParams, quantizeTensor, quantizeValues, roundHalfToEven, quantRange, QUANT_TYPES, type QuantType, type QParams } from './math.js';
export type { CommonModeOptions, QuantizeMode, QuantizeReport, QuantizeResult, SkippedNode } from './types.js';
export { quantizeStatic, calibrateStatic, findDetectionHead, staticQuantizeOptions, type StaticModeOptions, type StaticQuantizeOptions, type StaticQuantizeReport, type HeadExclusion } from './static/index.js';
export { convertToFloat16, type Fp16Report } from './fp16.js';
export { dequantizeModel, type DequantizeResult } from './dequantize/index.js';
export { mixedPrecisionSearch, type MixedPrecisionReport } from './mixed.js';
export { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate/index.js';
