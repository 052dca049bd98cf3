import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import type { Box } from '../../src/image/letterbox.js';
import { MetricsAccumulator, matchDetections } from '../../src/eval/map.js';

describe('COCO-style metrics on a hand-computed case', () => {
  // Class 0: two ground-truth boxes, three detections — a perfect hit, a miss, and a hit at IoU 0.9.
  // Class 1: one ground-truth box nobody finds. Class 2: a detection without ground truth (not scored).
  const gt = [
    { classId: 0, box: [0, 0, 10, 10] as Box },
    { classId: 0, box: [20, 0, 30, 10] as Box },
    { classId: 1, box: [100, 100, 120, 120] as Box },
  ];
  const dets = [
    { classId: 0, score: 0.9, box: [0, 0, 10, 10] as Box },
    { classId: 0, score: 0.8, box: [50, 50, 60, 60] as Box },
    { classId: 0, score: 0.7, box: [20, 0, 30, 9] as Box },
    { classId: 2, score: 0.95, box: [0, 0, 5, 5] as Box },
  ];

  it('matches greedily by score at each IoU threshold', () => {
    const masks = matchDetections(dets.slice(0, 3), gt.slice(0, 2));
    expect(masks[0]).toBe(0b1111111111); // IoU 1: true positive at every threshold
    expect(masks[1]).toBe(0);
    expect(masks[2]).toBe(0b0111111111); // IoU 0.9: true positive up to 0.90, not at 0.95
  });

  it('gives the 101-point interpolated AP by hand', () => {
    const acc = new MetricsAccumulator();
    acc.addImage(gt, dets);
    const r = acc.result(['a', 'b', 'c']);
    // Class 0 at IoU ≤ 0.9: precision envelope 1 up to recall 0.5 (51 points), 2/3 from 0.51 to 1 (50 points).
    const ap = (51 + (50 * 2) / 3) / 101;
    // At IoU 0.95 the third detection is a false positive: recall stops at 0.5.
    const ap95 = 51 / 101;
    expect(r.perClass.map((c) => c.name)).toEqual(['a', 'b']);
    expect(r.perClass[0]!.ap50).toBeCloseTo(ap, 12);
    expect(r.perClass[0]!.ap50_95).toBeCloseTo((9 * ap + ap95) / 10, 12);
    expect(r.perClass[1]!.ap50).toBe(0);
    expect(r.map50).toBeCloseTo(ap / 2, 12);
    expect(r.map50_95).toBeCloseTo((9 * ap + ap95) / 20, 12);
    expect(r.instances).toBe(3);
    expect(r.images).toBe(1);
  });

  it('reports precision and recall at the best F1 confidence', () => {
    const acc = new MetricsAccumulator();
    acc.addImage(gt.slice(0, 2), [
      { classId: 0, score: 0.9, box: [0, 0, 10, 10] },
      { classId: 0, score: 0.8, box: [20, 0, 30, 10] },
      { classId: 0, score: 0.3, box: [50, 50, 60, 60] },
    ]);
    const r = acc.result();
    // Between conf 0.3 and 0.8 both boxes are found and the false positive is filtered out; precision is
    // interpolated linearly between the detections' confidences (as the Ultralytics curves), so slightly below 1.
    expect(r.precision).toBeGreaterThan(0.9);
    expect(r.recall).toBeGreaterThan(0.99);
    expect(r.confidenceAtBestF1).toBeGreaterThan(0.3);
    expect(r.confidenceAtBestF1).toBeLessThanOrEqual(0.8);
  });

  it('counts detections on a background image as false positives', () => {
    const acc = new MetricsAccumulator();
    acc.addImage([], [{ classId: 0, score: 0.99, box: [0, 0, 10, 10] }]);
    acc.addImage([{ classId: 0, box: [0, 0, 10, 10] }], [{ classId: 0, score: 0.5, box: [0, 0, 10, 10] }]);
    // Precision 0.5 at the only recall level.
    expect(acc.result().map50).toBeCloseTo(0.5, 12);
  });
});

interface CocoAnnotation { image_id: number; category_id: number; bbox: number[]; score?: number }

describe.skipIf(!hasAssets)('parity with pycocotools on the trusted detections', () => {
  const dir = asset('reference', 'accuracy');
  const xyxy = (b: number[]): Box => [b[0]!, b[1]!, b[0]! + b[2]!, b[1]! + b[3]!];

  function evaluateJson(detectionsFile: string) {
    const gt = JSON.parse(readFileSync(`${dir}/val128_gt_coco.json`, 'utf8')) as { images: Array<{ id: number }>; annotations: CocoAnnotation[] };
    const dets = JSON.parse(readFileSync(`${dir}/${detectionsFile}`, 'utf8')) as CocoAnnotation[];
    const byImage = <T extends CocoAnnotation>(list: T[]) => {
      const m = new Map<number, T[]>();
      for (const a of list) m.set(a.image_id, [...(m.get(a.image_id) ?? []), a]);
      return m;
    };
    const gtByImage = byImage(gt.annotations);
    const detByImage = byImage(dets);
    const acc = new MetricsAccumulator();
    for (const id of gt.images.map((i) => i.id).sort((a, b) => a - b)) {
      acc.addImage(
        (gtByImage.get(id) ?? []).map((a) => ({ classId: a.category_id, box: xyxy(a.bbox) })),
        (detByImage.get(id) ?? []).map((d) => ({ classId: d.category_id, score: d.score!, box: xyxy(d.bbox) })),
      );
    }
    return acc.result();
  }

  it('reproduces 33.93 / 52.28 for yolov5n (NMS 0.6) and 38.28 / 53.91 for yolov5nu (NMS 0.7)', () => {
    const v5 = evaluateJson('yolov5n_val128_nms0.6_detections.json');
    expect(v5.map50_95 * 100).toBeCloseTo(33.93, 1);
    expect(Math.abs(v5.map50_95 * 100 - 33.93)).toBeLessThan(0.01);
    expect(Math.abs(v5.map50 * 100 - 52.28)).toBeLessThan(0.01);
    const v5u = evaluateJson('yolov5nu_fp32_val128_nms0.7_detections.json');
    expect(Math.abs(v5u.map50_95 * 100 - 38.28)).toBeLessThan(0.01);
    expect(Math.abs(v5u.map50 * 100 - 53.91)).toBeLessThan(0.01);
    expect(v5u.perClass).toHaveLength(73);
  });
});
