import type { LoadedModel } from '../../onnx/types.js';
import { collectActivationStats, type CalibrationSample, type CollectOptions } from './collect.js';
import type { ActivationStats } from './histogram.js';
import { defaultFeedBuilder, type CalibrationPreprocessing, type FeedBuilder } from './feeds.js';
import { YOLO_CALIBRATION_PREPROCESSING, imageCalibrationSamples, listCalibrationImages } from './images.js';
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
export { YOLO_CALIBRATION_PREPROCESSING, imageCalibrationSamples, listCalibrationImages } from './images.js';
export {
  defaultFeedBuilder,
  feedInputs,
  imageInput,
  imageSize,
  runtimeInputs,
  type CalibrationPreprocessing,
  type FeedBuilder,
  type FeedElementType,
  type FeedInput,
  type FeedRecord,
  type FeedTensor,
} from './feeds.js';

/**
 * Where calibration samples come from: ready samples (complete feed records, or bare image tensors for
 * single-input models), or a folder of images turned into feed records — by `feeds` when given (a model
 * contract's preprocessing and extra inputs), else by {@link defaultFeedBuilder} with `preprocessing`.
 */
export type CalibrationSource =
  | AsyncIterable<CalibrationSample>
  | { imageDir: string; limit?: number; preprocessing?: CalibrationPreprocessing; feeds?: FeedBuilder };

export interface CalibrationData {
  stats: Map<string, ActivationStats>;
  samples: number;
  seconds: number;
  /** What the samples were (folder and preprocessing), for the report. */
  source: string;
  /** How the feeds were made where a guess was involved (non-image inputs), said once in the report. */
  notes: string[];
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
  let notes: string[] = [];
  if (Symbol.asyncIterator in source) {
    samples = source;
    description = 'caller-provided tensors';
    options.onTotal?.(undefined);
  } else {
    const files = listCalibrationImages(source.imageDir, source.limit);
    const feeds = source.feeds ?? defaultFeedBuilder(model, source.preprocessing ?? YOLO_CALIBRATION_PREPROCESSING, tensors);
    samples = imageCalibrationSamples(files, feeds);
    description = `${files.length} images from ${source.imageDir} (${feeds.description})`;
    notes = [...feeds.notes];
    options.onTotal?.(files.length);
  }
  const collected = await collectActivationStats(model, tensors, samples, options);
  return { ...collected, source: description, notes };
}

/** Per-tensor ranges from calibration statistics with one method. */
export function rangesFromStats(stats: ReadonlyMap<string, ActivationStats>, options: RangeOptions): Map<string, TensorRange> {
  return new Map([...stats].map(([name, s]) => [name, calibratedRange(s, options)]));
}
