import { loadModelSync } from '../onnx/model-io.js';
import type { CalibrationSample, CalibrationSource, FeedBuilder } from '../quantize/calibrate/index.js';
import { modelInputShape } from '../quantize/calibrate/collect.js';
import type { DataQualityOptions } from '../util/data-quality.js';
import { seededRandom } from '../util/random.js';

/**
 * Calibration images for static INT8: the user's folder, the shared coco128, or — for the synthetic
 * built-in model only, whose accuracy means nothing anyway — seeded noise, so that static INT8
 * latency can still be measured on a machine with no images at all. The noise is iterable more than once (the
 * INT8 search calibrates, then corrects biases on the same samples) and comes with a disjoint steering set.
 */
export function calibrationSource(
  dir: string | undefined,
  synthetic: boolean,
  limit: number | undefined,
  modelPath: string,
  quality?: DataQualityOptions,
  feeds?: FeedBuilder,
): { source: CalibrationSource; description: string; note?: string; steering?: AsyncIterable<CalibrationSample> } | undefined {
  if (dir) return { source: { imageDir: dir, limit: limit ?? 128, quality, feeds }, description: `${dir} (${limit ?? 128} images at most${feeds ? `; ${feeds.description}` : ''})` };
  if (!synthetic) return undefined;
  const count = limit ?? 8;
  return {
    source: seededNoise(modelPath, count, 7),
    description: `${count} seeded noise images (synthetic model)`,
    note: 'Static INT8 variants of the synthetic model were calibrated on seeded noise: their latency is valid, their accuracy is not.',
    steering: seededNoise(modelPath, STEERING_NOISE_SAMPLES, 11),
  };
}

/** Noise samples the INT8 search steers on (output SQNR against FP32) for the synthetic model. */
const STEERING_NOISE_SAMPLES = 4;

function seededNoise(modelPath: string, count: number, seed: number): AsyncIterable<Float32Array> {
  return {
    async *[Symbol.asyncIterator]() {
      const { dims } = modelInputShape(loadModelSync(modelPath));
      const random = seededRandom(seed);
      for (let i = 0; i < count; i++) {
        const sample = new Float32Array(dims.reduce((a, b) => a * b, 1));
        for (let k = 0; k < sample.length; k++) sample[k] = random();
        yield sample;
      }
    },
  };
}
