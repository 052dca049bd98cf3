import { describe, expect, it } from 'vitest';
import { COCO_IOU_THRESHOLDS, FidelityAccumulator, IouSweepAccumulator } from '../../src/eval/fidelity.js';
import { SanityAccumulator } from '../../src/eval/sanity.js';
import type { Detection } from '../../src/eval/decoders/index.js';

const det = (box: [number, number, number, number], classId = 0, score = 0.9): Detection => ({ box, classId, score });

describe('FidelityAccumulator', () => {
  it('compares every output by name: cosine, SQNR in dB, max abs diff; shapes that differ are said, not compared', () => {
    const f = new FidelityAccumulator('fp32.onnx', 0.25);
    const ref = [{ name: 'boxes', dims: [4], data: Float32Array.from([1, 2, 3, 4]) }, { name: 'dets', dims: [2, 6], data: new Float32Array(12) }];
    const variant = [{ name: 'boxes', dims: [4], data: Float32Array.from([1, 2, 3, 4.5]) }, { name: 'dets', dims: [3, 6], data: new Float32Array(18) }];
    f.add(variant, ref);
    const r = f.result();
    const boxes = r.outputs.find((o) => o.name === 'boxes')!;
    expect(boxes.maxAbsDiff).toBeCloseTo(0.5, 6);
    expect(boxes.sqnrDb).toBeCloseTo(10 * Math.log10(30 / 0.25), 6);
    expect(boxes.cosine).toBeCloseTo(32 / Math.sqrt(30 * 34.25), 6);
    expect(r.outputs.find((o) => o.name === 'dets')!.note).toMatch(/1 of 1 image\(s\) not compared: shapes differ \(\[3,6\] vs FP32 \[2,6\]\)/);
    expect(r.worst.cosine).toBe(boxes.cosine);
    expect(r.detections).toBeUndefined();
  });

  it('reports identical outputs as SQNR null (infinite), and detection F1 of the variant against FP32', () => {
    const f = new FidelityAccumulator('fp32.onnx', 0.25);
    const out = [{ name: 'y', dims: [2], data: Float32Array.from([0.5, -1]) }];
    f.add(out, out, { reference: [det([0, 0, 10, 10]), det([20, 20, 40, 40], 1)], variant: [det([1, 0, 10, 10]), det([20, 20, 40, 40], 2), det([50, 50, 60, 60])] });
    const r = f.result();
    expect(r.outputs[0]!.sqnrDb).toBeNull();
    expect(r.outputs[0]!.cosine).toBeCloseTo(1, 12);
    // One match (the class-1 box came back as class 2): precision 1/3, recall 1/2.
    expect(r.detections).toMatchObject({ matched: 1, precision: 1 / 3, recall: 0.5 });
    expect(r.detections!.f1).toBeCloseTo(0.4, 12);
  });
});

describe('IouSweepAccumulator', () => {
  it('averages F1 over IoU 0.5:0.95: a box that drifts keeps its match at 0.5 and loses it where mAP50-95 would', () => {
    expect(COCO_IOU_THRESHOLDS).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
    const same = new IouSweepAccumulator();
    same.add([det([0, 0, 10, 10]), det([20, 20, 40, 40], 1)], [det([0, 0, 10, 10]), det([20, 20, 40, 40], 1)]);
    expect(same.result().f1).toBe(1);
    // IoU of [0,0,10,10] with [1,0,11,10] is 90/110 = 0.818: matched at 0.5..0.8, not at 0.85..0.95.
    const drift = new IouSweepAccumulator();
    drift.add([det([0, 0, 10, 10])], [det([1, 0, 11, 10])]);
    const r = drift.result();
    expect(r.perIou).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(r.f1).toBeCloseTo(0.7, 12);
    // Another class, or nothing found, agrees at no threshold; counts pool over images.
    const wrong = new IouSweepAccumulator();
    wrong.add([det([0, 0, 10, 10])], [det([0, 0, 10, 10], 3)]);
    wrong.add([det([0, 0, 10, 10])], []);
    expect(wrong.result()).toMatchObject({ f1: 0, referenceDetections: 2, variantDetections: 1, images: 2 });
    // No detections on either side: nothing to disagree on.
    const none = new IouSweepAccumulator();
    none.add([], []);
    expect(none.result().f1).toBe(1);
  });
});

describe('SanityAccumulator', () => {
  const gt = [{ classId: 0, box: [10, 10, 50, 90] as [number, number, number, number] }];
  const feed = (s: SanityAccumulator, detections: Detection[], data: ArrayLike<number> = [0]) => {
    for (let i = 0; i < 8; i++) s.add({ outputs: [{ data: Float32Array.from(data) }], detections, extent: { width: 100, height: 100 }, mapped: detections, groundTruth: gt });
  };

  it('passes a model that finds the objects', () => {
    const s = new SanityAccumulator();
    feed(s, [det([11, 10, 50, 88])]);
    const v = s.verdict();
    expect(v.fits).toBe(true);
    expect(v.evidence.map50).toBeCloseTo(1, 6);
  });

  it('fails, in one clause, a model whose mAP50 is near zero, whose boxes are outside, or whose outputs are NaN', () => {
    const wrong = new SanityAccumulator();
    feed(wrong, [det([60, 10, 99, 30])]);
    expect(wrong.verdict()).toMatchObject({ fits: false, reason: 'mAP50 is 0.0 on the first 8 labelled image(s), which hold 8 objects' });
    const outside = new SanityAccumulator();
    feed(outside, [det([150, 150, 300, 300])]);
    expect(outside.verdict().reason).toMatch(/100\.0% of the boxes lie mostly outside the image/);
    const nan = new SanityAccumulator();
    feed(nan, [], [Number.NaN]);
    expect(nan.verdict().reason).toMatch(/8 NaN or infinite value/);
    const none = new SanityAccumulator();
    feed(none, [det([10, 10, 50, 90], 0, 0.01)]);
    expect(none.verdict().reason).toMatch(/no detection scores 0\.25 or more/);
  });
});
