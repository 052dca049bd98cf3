import { describe, expect, it } from 'vitest';
import { contractFeedBuilder, readContract } from '../../src/eval/contract/index.js';
import { loadModel } from '../../src/onnx/model-io.js';
import { agreementDb, detectionSteering } from '../../src/pipeline/detection-steering.js';
import { takeFeedRecords, type FeedBuilder } from '../../src/quantize/calibrate/index.js';
import { collectOutputs, type PlainOutput } from '../../src/quantize/outputs.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { zooFeeds } from '../helpers/zoo-feeds.js';
import { ZOO_MODELS, hasZoo, zooModel } from '../helpers/zoo.js';

/** As many images as the search holds out to steer on. */
const IMAGES = 16;

/** FP32's outputs on the first calibration images, fed through the model's contract as the search feeds them. */
async function referenceOutputs(path: string, feeds?: FeedBuilder) {
  const model = await loadModel(path);
  const samples = await takeFeedRecords(model, { imageDir: asset('coco128', 'images'), feeds: feeds ?? contractFeedBuilder(await readContract(path)) }, IMAGES);
  return { model, reference: await collectOutputs(model, samples) };
}

function f1Of(steering: Exclude<ReturnType<typeof detectionSteering>, { reason: string }>, outputs: PlainOutput[][]): number {
  const a = steering.agreement();
  outputs.forEach((o, i) => a.add(i, o));
  return a.f1();
}

describe('agreementDb', () => {
  it('puts F1 on a log scale of its disagreement, capped at 60 dB', () => {
    expect(agreementDb(0.9)).toBeCloseTo(10, 9);
    expect(agreementDb(0.99)).toBeCloseTo(20, 9);
    expect(agreementDb(1)).toBe(60);
    expect(agreementDb(0)).toBeCloseTo(0, 12);
  });
});

describe.skipIf(!hasAssets)('detection steering (YOLOv5nu)', () => {
  it('decodes FP32 with the resolved contract; FP32 agrees with itself, and boxes moved by 3 px lose F1 at high IoU only', async () => {
    const { model, reference } = await referenceOutputs(asset('models', 'yolov5nu_fp32.onnx'));
    const steering = detectionSteering(model, reference);
    if ('reason' in steering) throw new Error(steering.reason);
    expect(steering.description).toMatch(/ultralytics decoder, F1 over IoU 0\.5:0\.95 at score ≥ 0\.1, \d+ FP32 detections on 16 held-out images/);
    expect(f1Of(steering, reference)).toBe(1);
    // Output [1, 84, 8400]: rows 0..3 are cx, cy, w, h in input pixels. Moving every centre by 3 px keeps each
    // detection (same class and score) but lowers its IoU with FP32's below the top thresholds.
    const moved = reference.map((outs) => outs.map((o) => {
      const data = o.data.slice();
      for (let k = 0; k < o.dims[2]!; k++) data[k]! += 3;
      return { ...o, data };
    }));
    const f1 = f1Of(steering, moved);
    expect(f1).toBeGreaterThan(0.3);
    expect(f1).toBeLessThan(0.95);
  }, 120_000);
});

describe.skipIf(!hasZoo)('detection steering on every zoo model', () => {
  // Each model either steers on detections it decodes and that FP32 agrees with itself on, or says why not.
  it.each(ZOO_MODELS)('%s: agreement figure or a one-line reason, never both', async (name) => {
    const path = zooModel(name);
    const { model, reference } = await referenceOutputs(path, zooFeeds(name, await loadModel(path)));
    const steering = detectionSteering(model, reference);
    if ('reason' in steering) {
      // The search then steers on SQNR and says this clause: one line, naming what is missing.
      expect(steering.reason).not.toMatch(/\n/);
      expect(steering.reason).toMatch(/^(no decoder fits|its \S+ head returns boxes in source-image pixels|FP32 finds \d+ detection|FP32's \S+ detections do not look|FP32's outputs do not decode)/);
      // These two have a decoder their contract resolves without flags, and plenty to detect on 16 COCO images.
      expect(['picodet_s_320', 'yolov10n_int8_640']).not.toContain(name);
    } else {
      expect(f1Of(steering, reference)).toBe(1);
    }
  }, 120_000);
});
