import { openDataset } from '../../datasets/registry.js';
import type { LoadedModel } from '../../onnx/types.js';
import { DataQuality, describeDataQuality, type DataQualityOptions, type DataQualitySummary } from '../../util/data-quality.js';
import { collectActivationStats, type CalibrationSample, type CollectOptions } from './collect.js';
import type { ActivationStats } from './histogram.js';
import { defaultFeedBuilder, feedInputs, type CalibrationPreprocessing, type FeedBuilder, type FeedRecord } from './feeds.js';
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
  | {
      /** A folder of images, or a dataset (data.yaml: its train split; COCO JSON; VOC) whose images to use. */
      imageDir: string;
      limit?: number;
      preprocessing?: CalibrationPreprocessing;
      feeds?: FeedBuilder;
      /** How many unreadable images are tolerated (default: up to 5%, each skipped with a warning). */
      quality?: DataQualityOptions;
    };

export interface CalibrationData {
  stats: Map<string, ActivationStats>;
  samples: number;
  seconds: number;
  /** What the samples were (folder and preprocessing), for the report. */
  source: string;
  /** How the feeds were made where a guess was involved (non-image inputs), said once in the report. */
  notes: string[];
  /** Unreadable images skipped (image folders only). */
  dataQuality?: DataQualitySummary;
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
  let quality: DataQuality | undefined;
  if (Symbol.asyncIterator in source) {
    samples = source;
    description = 'caller-provided tensors';
    options.onTotal?.(undefined);
  } else {
    const files = await calibrationImages(source.imageDir);
    const feeds = source.feeds ?? defaultFeedBuilder(model, source.preprocessing ?? YOLO_CALIBRATION_PREPROCESSING, tensors);
    quality = new DataQuality({ what: `calibration images ${source.imageDir}`, ...source.quality });
    samples = imageCalibrationSamples(files, feeds, { limit: source.limit, quality });
    const count = Math.min(files.length, source.limit ?? Infinity);
    description = `images from ${source.imageDir} (${feeds.description})`;
    notes = [...feeds.notes];
    options.onTotal?.(count);
  }
  const collected = await collectActivationStats(model, tensors, samples, options);
  const dataQuality = quality?.summary();
  if (dataQuality) description = `${collected.samples} ${description}${dataQuality.images.skipped > 0 ? `; ${describeDataQuality(dataQuality)}` : ''}`;
  return { ...collected, source: description, notes, ...(dataQuality ? { dataQuality } : {}) };
}

/** The images of a calibration folder, or of a dataset file (a data.yaml's train split, a COCO JSON's images). */
export async function calibrationImagePaths(path: string): Promise<string[]> {
  return calibrationImages(path);
}

async function calibrationImages(path: string): Promise<string[]> {
  if (!/\.(ya?ml|json)$/i.test(path)) return listCalibrationImages(path);
  return (await openDataset(path, { split: 'train' })).imagePaths;
}

/** Per-tensor ranges from calibration statistics with one method. */
export function rangesFromStats(stats: ReadonlyMap<string, ActivationStats>, options: RangeOptions): Map<string, TensorRange> {
  return new Map([...stats].map(([name, s]) => [name, calibratedRange(s, options)]));
}

/**
 * The first `count` samples of a calibration source as complete feed records, kept in memory (a small fixed subset:
 * bias correction and fidelity checks run several models on the same few inputs). `skip` leaves out the first ones.
 */
export async function takeFeedRecords(model: LoadedModel, source: CalibrationSource, count: number, skip = 0): Promise<FeedRecord[]> {
  const records: FeedRecord[] = [];
  const inputs = feedInputs(model);
  const image = inputs.find((i) => i.layout !== undefined) ?? inputs[0];
  let iterable: AsyncIterable<CalibrationSample>;
  if (Symbol.asyncIterator in source) iterable = source;
  else {
    // Bad images are skipped (counted by imageCalibrationSamples' own quality record), and replaced by the next ones.
    const files = (await calibrationImages(source.imageDir)).slice(skip);
    iterable = imageCalibrationSamples(files, source.feeds ?? defaultFeedBuilder(model, source.preprocessing ?? YOLO_CALIBRATION_PREPROCESSING, []), { limit: count, quality: new DataQuality({ what: `images from ${source.imageDir}`, ...source.quality }) });
    skip = 0;
  }
  let seen = 0;
  for await (const sample of iterable) {
    if (seen++ < skip) continue;
    records.push(sample instanceof Float32Array ? { [image!.name]: { type: 'float32', dims: [...image!.dims], data: sample } } : sample);
    if (records.length >= count) break;
  }
  return records;
}
