import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import { mapClasses } from '../../src/datasets/classes.js';
import { openDataset } from '../../src/datasets/registry.js';
import type { Dataset, DatasetSample } from '../../src/datasets/types.js';
import { checkSample } from '../../src/datasets/validate.js';
import { categoryIdsForModel, scoreCocoResults } from '../../src/eval/coco-results.js';
import { evaluateModel } from '../../src/eval/evaluate.js';
import { COCO_CATEGORY_IDS, COCO_NAMES } from '../../src/models/coco-names.js';

const GT = asset('reference', 'accuracy', 'val128_gt_coco.json');
const VAL = asset('coco_val128');

describe('category ids of the COCO results format', () => {
  it('uses the official ids for the 80 COCO classes, the class index otherwise, and the dataset ids for COCO data', () => {
    expect(categoryIdsForModel(COCO_NAMES, 80)).toEqual(COCO_CATEGORY_IDS);
    expect(categoryIdsForModel(['duckie', 'cone'], 2)).toEqual([0, 1]);
    expect(categoryIdsForModel(['a', 'b', 'c'], 3, { toModel: [2, undefined, 0], categoryIds: [7, 8, 9] })).toEqual([9, undefined, 7]);
  });
});

describe.skipIf(!hasAssets)('coco_val128 as COCO JSON and as YOLO labels', () => {
  async function groundTruth(dataset: Dataset, sizes: Map<number, { width: number; height: number }>) {
    const classes = mapClasses(dataset, { names: COCO_NAMES, numClasses: 80 });
    const byImage = new Map<number, ReturnType<typeof checkSample>['groundTruth']>();
    for await (const s of dataset.samples() as AsyncGenerator<DatasetSample>) {
      const checked = checkSample(s, sizes.get(s.imageId)!, classes, { numClasses: 80 }, dataset.names);
      expect(checked.rejected).toEqual([]);
      byImage.set(s.imageId, checked.groundTruth);
    }
    return byImage;
  }

  it('give the same ground truth for all 128 images, so any detections score the same on both', async () => {
    const doc = JSON.parse(await readFile(GT, 'utf8')) as { images: Array<{ id: number; width: number; height: number }> };
    const sizes = new Map(doc.images.map((i) => [i.id, { width: i.width, height: i.height }]));
    const coco = await openDataset(GT, { images: join(VAL, 'images') });
    const yolo = await openDataset(VAL);
    expect([coco.format, yolo.format]).toEqual(['coco-json', 'yolo']);
    const a = await groundTruth(coco, sizes);
    const b = await groundTruth(yolo, sizes);
    expect(a.size).toBe(128);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    let boxes = 0;
    let maxDiff = 0;
    for (const [id, gts] of a) {
      const other = b.get(id)!;
      expect(gts.map((g) => g.classId)).toEqual(other.map((g) => g.classId));
      gts.forEach((g, k) => g.box.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - other[k]!.box[i]!)))));
      boxes += gts.length;
    }
    expect(boxes).toBe(898);
    // The JSON was converted from the labels: the boxes agree to float rounding (micro-pixels).
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('scores the trusted detections as pycocotools does: 33.93 / 52.28 (yolov5n) and 38.28 / 53.91 (yolov5nu)', async () => {
    const v5 = await scoreCocoResults(GT, asset('reference', 'accuracy', 'yolov5n_val128_nms0.6_detections.json'));
    expect(Math.abs(v5.map50_95 * 100 - 33.93)).toBeLessThan(0.01);
    expect(Math.abs(v5.map50 * 100 - 52.28)).toBeLessThan(0.01);
    const v5u = await scoreCocoResults(GT, asset('reference', 'accuracy', 'yolov5nu_fp32_val128_nms0.7_detections.json'));
    expect(Math.abs(v5u.map50_95 * 100 - 38.28)).toBeLessThan(0.01);
    expect(Math.abs(v5u.map50 * 100 - 53.91)).toBeLessThan(0.01);
    expect(v5u.perClass).toHaveLength(73);
    expect(v5u.dataQuality.labels).toMatchObject({ total: 898, skipped: 0 });
  });
});

describe.skipIf(!hasAssets)('eval --save-json', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeopt-savejson-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes predictions and ground truth that re-score to the mAP edgeopt reported (YOLO labels)', async () => {
    const out = join(dir, 'yolo', 'predictions.json');
    const r = await evaluateModel(asset('models', 'yolov5nu_fp32.onnx'), VAL, { maxImages: 6, saveJson: out });
    expect(r.savedJson).toMatchObject({ predictions: out, groundTruth: join(dir, 'yolo', 'predictions-ground-truth.json'), annotations: r.instances, unwritableDetections: 0 });
    const records = JSON.parse(await readFile(out, 'utf8')) as Array<{ image_id: number; category_id: number; bbox: number[]; score: number }>;
    expect(records).toHaveLength(r.savedJson!.detections);
    // COCO's own image ids (the file stems) and category ids, boxes as x, y, w, h in source pixels.
    expect(new Set(records.map((d) => d.image_id))).toEqual(new Set([139, 285, 632, 724, 776, 785]));
    expect(records.every((d) => COCO_CATEGORY_IDS.includes(d.category_id) && d.bbox[2]! > 0 && d.bbox[0]! >= 0 && d.bbox[0]! + d.bbox[2]! <= 640.001)).toBe(true);
    const rescored = await scoreCocoResults(r.savedJson!.groundTruth, out);
    expect(Math.abs(rescored.map50_95 - r.map50_95)).toBeLessThan(1e-4);
    expect(Math.abs(rescored.map50 - r.map50)).toBeLessThan(1e-4);
    expect(rescored.instances).toBe(r.instances);
  });
});
