import type { LoadedModel } from '../../onnx/types.js';
import { collectActivationStats, modelInputShape, type CalibrationSample, type CollectOptions } from './collect.js';
import type { ActivationStats } from './histogram.js';
import { imageCalibrationSamples, listCalibrationImages, type CalibrationPreprocessing } from './images.js';
import { calibratedRange, type RangeOptions, type TensorRange } from './methods.js';

export { ActivationStats, DEFAULT_HISTOGRAM_BINS } from './histogram.js';
export {
  CALIBRATION_METHODS,
  DEFAULT_PERCENTILE,
  calibratedRange,
  entropyRange,
  entropyThreshold,
  minMaxRange,
  percentileRange,
  percentileThreshold,
  type CalibrationMethod,
  type RangeOptions,
  type TensorRange,
} from './methods.js';
export { augmentWithOutputs, collectActivationStats, modelInputShape, type CalibrationSample, type CollectedStats } from './collect.js';
export { YOLO_CALIBRATION_PREPROCESSING, imageCalibrationSamples, listCalibrationImages, type CalibrationPreprocessing } from './images.js';

/** Where calibration samples come from: ready tensors, or a folder of images preprocessed like the model's input. */
export type CalibrationSource =
  | AsyncIterable<CalibrationSample>
  | { imageDir: string; limit?: number; preprocessing?: CalibrationPreprocessing };

export interface CalibrationData {
  stats: Map<string, ActivationStats>;
  samples: number;
  seconds: number;
  /** What the samples were (folder and preprocessing), for the report. */
  source: string;
}

/** Runs calibration for the given activation tensors and keeps the statistics (ranges are derived per method later). */
export async function calibrate(
  model: LoadedModel,
  tensors: readonly string[],
  source: CalibrationSource,
  options: CollectOptions & { onTotal?: (total: number | undefined) => void } = {},
): Promise<CalibrationData> {
  let samples: AsyncIterable<CalibrationSample>;
  let description: string;
  if (Symbol.asyncIterator in source) {
    samples = source;
    description = 'caller-provided tensors';
    options.onTotal?.(undefined);
  } else {
    const files = listCalibrationImages(source.imageDir, source.limit);
    const dims = modelInputShape(model).dims;
    const size = { width: dims[dims.length - 1]!, height: dims[dims.length - 2]! };
    samples = imageCalibrationSamples(files, size, source.preprocessing);
    description = `${files.length} images from ${source.imageDir} (${source.preprocessing?.description ?? 'YOLO letterbox'})`;
    options.onTotal?.(files.length);
  }
  const collected = await collectActivationStats(model, tensors, samples, options);
  return { ...collected, source: description };
}

/** Per-tensor ranges from calibration statistics with one method. */
export function rangesFromStats(stats: ReadonlyMap<string, ActivationStats>, options: RangeOptions): Map<string, TensorRange> {
  return new Map([...stats].map(([name, s]) => [name, calibratedRange(s, options)]));
}
