import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import { decodeRgb } from '../../src/image/preprocess.js';
import { detectInImage, openDetector } from '../../src/eval/detector.js';
import { parseContractFlags } from '../../src/eval/contract/index.js';
import { scoreCocoResults } from '../../src/eval/coco-results.js';
import { ContractMismatchError, evaluateModel } from '../../src/eval/evaluate.js';

const VAL = asset('coco_val128');
const GT = asset('reference', 'accuracy', 'val128_gt_coco.json');
const V5U = asset('models', 'yolov5nu_fp32.onnx');
const V5 = asset('reference', 'yolov5n_fp32_torch.onnx');

describe.skipIf(!hasAssets)('detector on bus.jpg', () => {
  it('finds the bus and the people with the scores the Ultralytics predictor reports', async () => {
    const detector = await openDetector(V5U);
    try {
      expect(detector.contract.decoder).toEqual({ name: 'ultralytics', params: { classes: 80, layout: 'columns' } });
      expect(detector.names?.[5]).toBe('bus');
      const image = await decodeRgb(asset('images', 'bus.jpg'));
      const { detections } = await detectInImage(detector, image, { confThreshold: 0.25, iouThreshold: 0.7 });
      const people = detections.filter((d) => d.classId === 0);
      const buses = detections.filter((d) => d.classId === 5);
      expect(buses).toHaveLength(1);
      expect(people.length).toBeGreaterThanOrEqual(3);
      // Reference (.pt at FP16): person 0.835, 0.818, 0.793, bus 0.793.
      expect(buses[0]!.score).toBeCloseTo(0.793, 1);
      people.slice(0, 3).forEach((p, i) => expect(Math.abs(p.score - [0.835, 0.818, 0.793][i]!)).toBeLessThan(0.02));
      // Boxes are in the original 810x1080 image: the bus spans most of the width.
      const [x1, , x2] = buses[0]!.box;
      expect(x2 - x1).toBeGreaterThan(700);
      expect(Math.max(...detections.map((d) => d.box[3]))).toBeLessThanOrEqual(1080);
    } finally {
      await detector.release();
    }
  });
});

describe.skipIf(!hasAssets)('evaluateModel', () => {
  // The one full 128-image run in `npm test` (the others are in the bench script): coco_val128 given as COCO JSON,
  // its predictions saved in the COCO results format and re-scored through edgeopt's COCO path.
  it('reproduces the trusted mAP of yolov5nu on all of coco_val128 as COCO JSON (38.28 / 53.91 from pycocotools), and its saved JSON re-scores the same', async () => {
    let ticks = 0;
    const dir = await mkdtemp(join(tmpdir(), 'edgeopt-eval-'));
    try {
      const saveJson = join(dir, 'predictions.json');
      const r = await evaluateModel(V5U, GT, { images: join(VAL, 'images'), saveJson, onProgress: () => ticks++ });
      expect(ticks).toBe(128);
      expect(r).toMatchObject({ images: 128, instances: 898, format: 'coco-json', layout: 'ultralytics', iou: 0.7, conf: 0.001, backgroundImages: 0 });
      expect(r.dataQuality).toMatchObject({ images: { total: 128, skipped: 0 }, labels: { total: 898, skipped: 0 } });
      // Measured 38.45 / 54.02: sharp decodes some JPEGs slightly differently from OpenCV.
      expect(Math.abs(r.map50_95 * 100 - 38.28)).toBeLessThan(0.5);
      expect(Math.abs(r.map50 * 100 - 53.91)).toBeLessThan(0.5);
      expect(r.precision).toBeGreaterThan(0.5);
      expect(r.recall).toBeGreaterThan(0.35);
      expect(r.perClass.find((c) => c.name === 'person')?.instances).toBeGreaterThan(200);
      // The saved predictions, scored against the original annotation file and against the ground truth written beside them.
      for (const annotations of [GT, r.savedJson!.groundTruth]) {
        const rescored = await scoreCocoResults(annotations, saveJson);
        expect(Math.abs(rescored.map50_95 - r.map50_95)).toBeLessThan(1e-4);
        expect(Math.abs(rescored.map50 - r.map50)).toBeLessThan(1e-4);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses the YOLOv5 validator settings for a YOLOv5 model', async () => {
    const r = await evaluateModel(V5, VAL, { maxImages: 16 });
    expect(r).toMatchObject({ images: 16, layout: 'yolov5', iou: 0.6, imgsz: [640, 640] });
    expect(r.map50_95).toBeGreaterThan(0.25);
    expect(r.map50).toBeGreaterThan(r.map50_95);
  });

  it('compares raw outputs and detections with a reference model', async () => {
    const same = await evaluateModel(V5U, VAL, { maxImages: 4, reference: V5U });
    expect(same.fidelity).toMatchObject({ images: 4, maxAbsDiff: 0, detectionAgreement: 1 });
    expect(same.fidelity!.cosine).toBeCloseTo(1, 9);
    expect(same.fidelity!.referenceDetections).toBeGreaterThan(4);
    const int8 = await evaluateModel(asset('models', 'yolov5nu_int8_dynamic_published.onnx'), VAL, { maxImages: 4, reference: V5U });
    expect(int8.fidelity!.maxAbsDiff).toBeGreaterThan(0);
    expect(int8.fidelity!.cosine).toBeGreaterThan(0.99);
    expect(int8.fidelity!.detectionAgreement).toBeGreaterThan(0.8);
    await expect(evaluateModel(V5U, VAL, { maxImages: 1, reference: V5 })).rejects.toThrow(/differ in shape/);
  });

  it('never reports a mismatched contract\'s mAP: the FP32 check fails in one line that names the measured fix', async () => {
    const lite = asset('zoo', 'yolov5lite_e_320.onnx');
    const err = await evaluateModel(lite, VAL, { maxImages: 20, contract: parseContractFlags({ decoder: 'yolov5' }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractMismatchError);
    const mismatch = err as ContractMismatchError;
    expect(mismatch.exitCode).toBe(3);
    expect(mismatch.message).toMatch(/the model contract does not fit this model \(100\.0% of the boxes are under 2 pixels on the first 16 labelled image\(s\)\), so accuracy is not measured; try --decoder yolo-anchors \(mAP50 \d+\.\d on 8 labelled images\)/);
    // With the decoder it names, the same model measures.
    const ok = await evaluateModel(lite, VAL, { maxImages: 16, contract: parseContractFlags({ decoder: 'yolo-anchors', preprocess: 'resize=stretch' }) });
    expect(ok.check?.fits).toBe(true);
    expect(ok.map50).toBeGreaterThan(0.3);
    expect(ok.contract.summary).toMatch(/--decoder yolo-anchors/);
  });
});
