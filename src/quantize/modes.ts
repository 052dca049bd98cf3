/**
 * Quantization modes by name: the CLI's `--mode` choices and `quantizeModelFile`'s dispatch. A request is one
 * member of a union keyed on `mode`, each carrying its own mode's options, so a mode reads typed options and
 * never guesses. Adding a mode is three lines: its options in `QuantizeModeOptionsByName`, its function in
 * `modes`, its name in `mode-names.ts` (a test checks the two name the same modes).
 * Its own module (not quantize/index.ts), so that file.ts and the pipeline import the table without a cycle.
 */
import type { LoadedModel } from '../onnx/types.js';
import { dequantizeModel } from './dequantize/index.js';
import { quantizeDynamic, type DynamicQuantizeOptions } from './dynamic.js';
import { fp16Mode, type Fp16ModeOptions } from './fp16-mode.js';
import { MODEL_MODE_NAMES } from './mode-names.js';
import { staticMode, type StaticModeOptions } from './static/index.js';
import type { CommonModeOptions, QuantizeMode, QuantizeResult } from './types.js';

export type DynamicModeOptions = DynamicQuantizeOptions & CommonModeOptions;
export type DequantizeModeOptions = CommonModeOptions;

/** Each mode's options, by mode name. */
export interface QuantizeModeOptionsByName {
  dynamic: DynamicModeOptions;
  static: StaticModeOptions;
  fp16: Fp16ModeOptions;
  dequantize: DequantizeModeOptions;
}

export type QuantizeModeName = keyof QuantizeModeOptionsByName;

/** A quantization request: `{ mode: 'static', calib: 'images/', … }`. `QuantizeOptions<'static'>` is one member. */
export type QuantizeOptions<M extends QuantizeModeName = QuantizeModeName> = { [K in M]: { mode: K } & QuantizeModeOptionsByName[K] }[M];

type ModeTable = { [K in QuantizeModeName]: QuantizeMode<QuantizeModeOptionsByName[K]> };

export const modes: ModeTable = {
  dynamic: async (model, options) => quantizeDynamic(model, options),
  static: staticMode,
  fp16: fp16Mode,
  // The float model of an already-quantized one (weights (q − zp) × scale), to measure as FP32 and re-quantize.
  dequantize: async (model) => dequantizeModel(model),
};

export function isQuantizeModeName(name: string): name is QuantizeModeName {
  return (MODEL_MODE_NAMES as readonly string[]).includes(name) && Object.hasOwn(modes, name);
}

/** Runs the mode a request names on a loaded model (the input is never modified). */
export function runQuantizeMode<M extends QuantizeModeName>(model: LoadedModel, options: QuantizeOptions<M>): Promise<QuantizeResult> {
  const mode: QuantizeMode<QuantizeModeOptionsByName[M]> = modes[options.mode];
  return mode(model, options);
}
