import { describe, expect, it } from 'vitest';
import { decodeDetections, detectOutputLayout } from '../../src/eval/decode.js';
import { boxIou, nonMaxSuppression } from '../../src/eval/nms.js';

// Real outputs have thousands of boxes; padding with empty boxes keeps the box axis the longer one.
const BOXES = 64;

function padded(rows: number[][]): number[][] {
  return [...rows, ...Array.from({ length: BOXES - rows.length }, () => new Array<number>(rows[0]!.length).fill(0))];
}

/** Builds a YOLOv5 [1,N,5+nc] output from rows [cx,cy,w,h,obj,...cls]. */
function yolov5Output(rows: number[][]): { data: Float32Array; dims: number[] } {
  return { data: Float32Array.from(padded(rows).flat()), dims: [1, BOXES, rows[0]!.length] };
}

/** Builds an Ultralytics [1,4+nc,N] output from per-box columns [cx,cy,w,h,...cls]. */
function ultralyticsOutput(boxes: number[][]): { data: Float32Array; dims: number[] } {
  const columns = padded(boxes);
  const channels = columns[0]!.length;
  const data = new Float32Array(channels * columns.length);
  columns.forEach((col, i) => col.forEach((v, c) => (data[c * columns.length + i] = v)));
  return { data, dims: [1, channels, columns.length] };
}

describe('detectOutputLayout', () => {
  it('tells YOLOv5 rows from Ultralytics columns by which axis is longer', () => {
    expect(detectOutputLayout([1, 25200, 85])).toEqual({ layout: 'yolov5', numBoxes: 25200, numClasses: 80 });
    expect(detectOutputLayout([1, 84, 8400])).toEqual({ layout: 'ultralytics', numBoxes: 8400, numClasses: 80 });
    expect(detectOutputLayout([1, 25200, 9], 4).numClasses).toBe(4);
  });

  it('rejects shapes that are not a detector output, naming the shape', () => {
    expect(() => detectOutputLayout([1, 1000])).toThrow(/\[1,1000\] is not a known detector layout/);
    expect(() => detectOutputLayout([2, 84, 8400])).toThrow(/not a known detector layout/);
    expect(() => detectOutputLayout([1, 84, 8400], 4)).toThrow(/with 4 classes/);
  });
});

describe('decodeDetections', () => {
  it('decodes YOLOv5 rows with score = objectness × class and converts cx,cy,w,h to corners', () => {
    const { data, dims } = yolov5Output([
      [50, 50, 20, 10, 0.9, 0.1, 0.8],
      [200, 100, 40, 40, 0.2, 0.9, 0.1], // 0.18: below 0.25
      [300, 300, 10, 10, 0.0005, 1, 1], // objectness below the threshold
    ]);
    const dets = decodeDetections(data, dims, { confThreshold: 0.25, iouThreshold: 0.45 });
    expect(dets).toHaveLength(1);
    expect(dets[0]!.classId).toBe(1);
    expect(dets[0]!.score).toBeCloseTo(0.72, 6);
    expect(dets[0]!.box).toEqual([40, 45, 60, 55]);
  });

  it('decodes Ultralytics columns and keeps every class above threshold with multiLabel', () => {
    const { data, dims } = ultralyticsOutput([
      [100, 100, 50, 50, 0.7, 0.6, 0.01],
      [400, 400, 20, 20, 0.01, 0.02, 0.3],
    ]);
    const single = decodeDetections(data, dims, { confThreshold: 0.25, iouThreshold: 0.7 });
    expect(single.map((d) => [d.classId, Number(d.score.toFixed(2))])).toEqual([[0, 0.7], [2, 0.3]]);
    const multi = decodeDetections(data, dims, { confThreshold: 0.25, iouThreshold: 0.7, multiLabel: true });
    expect(multi.map((d) => d.classId)).toEqual([0, 1, 2]);
  });

  it('suppresses overlapping boxes of the same class only, unless class-agnostic', () => {
    const { data, dims } = ultralyticsOutput([
      [100, 100, 50, 50, 0.9, 0],
      [102, 100, 50, 50, 0.8, 0], // IoU ≈ 0.92 with the first: suppressed
      [101, 100, 50, 50, 0, 0.7], // other class: kept
      [300, 300, 50, 50, 0.6, 0], // far away: kept
    ]);
    const perClass = decodeDetections(data, dims, { confThreshold: 0.25, iouThreshold: 0.45 });
    expect(perClass.map((d) => [d.classId, d.score.toFixed(1)])).toEqual([[0, '0.9'], [1, '0.7'], [0, '0.6']]);
    const agnostic = decodeDetections(data, dims, { confThreshold: 0.25, iouThreshold: 0.45, classAgnostic: true });
    expect(agnostic.map((d) => d.score.toFixed(1))).toEqual(['0.9', '0.6']);
    expect(decodeDetections(data, dims, { confThreshold: 0.25, iouThreshold: 0.45, maxDetections: 1 })).toHaveLength(1);
  });

  it('rejects an output shorter than its dims say', () => {
    expect(() => decodeDetections(new Float32Array(10), [1, 84, 8400], { confThreshold: 0.25, iouThreshold: 0.45 })).toThrow(/need 705600/);
  });
});

describe('nms', () => {
  it('computes IoU without the +1 pixel convention', () => {
    expect(boxIou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 10);
    expect(boxIou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
  });

  it('suppresses only above the IoU threshold (torchvision semantics)', () => {
    const boxes = Float32Array.from([0, 0, 10, 10, 5, 0, 15, 10]);
    const candidates = { boxes, scores: Float32Array.from([0.9, 0.8]), classIds: Int32Array.from([0, 0]), count: 2 };
    expect(nonMaxSuppression(candidates, { iouThreshold: 1 / 3 + 1e-6, maxDetections: 10 })).toEqual([0, 1]);
    expect(nonMaxSuppression(candidates, { iouThreshold: 0.3, maxDetections: 10 })).toEqual([0]);
  });
});
