import { describe, expect, it } from 'vitest';
import { chooseDecoder, decodeOutputs, decoderNamed, parseDecoderSpec, COCO91_IDS } from '../../../src/eval/decoders/index.js';
import { ssdPriors } from '../../../src/eval/decoders/ssd.js';
import type { OutputTensor, RecognitionContext } from '../../../src/eval/decoders/types.js';

/** Hand-made outputs for the families no zoo model has: one known box each, everything else empty. */
const ctx = (size: number, extra: Partial<RecognitionContext> = {}): RecognitionContext => ({ inputWidth: size, inputHeight: size, auxKinds: [], ...extra });
const sig = (outputs: OutputTensor[]) => outputs.map((o) => ({ name: o.name, dims: o.dims, type: 'float32' }));
const options = { confThreshold: 0.25, iouThreshold: 0.45 };

function decodeWith(name: string, outputs: OutputTensor[], size: number, flags = '') {
  const spec = parseDecoderSpec(`${name}${flags ? `,${flags}` : ''}`);
  const choice = chooseDecoder(sig(outputs), ctx(size), spec);
  if (choice.kind !== 'chosen') throw new Error(JSON.stringify(choice));
  return decodeOutputs(choice.family, outputs, choice.params, { inputWidth: size, inputHeight: size }, options);
}

const expectBox = (box: readonly number[], expected: readonly number[]) => box.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 3));

describe('yolox', () => {
  // The issue's model: [1,3549,85] at 416 (52² + 26² + 13² cells), raw offsets and log sizes.
  const rows = 3549;
  const data = new Float32Array(rows * 85);
  const row = 52 * 52 + 5 * 26 + 10; // stride 16, column 10, row 5
  data.set([0.3, 0.6, Math.log(4), Math.log(2), 0.9], row * 85);
  data[row * 85 + 5 + 2] = 0.8;
  const outputs = [{ name: 'output', dims: [1, rows, 85], data }];

  it('decodes a cell of the stride-16 grid: (t + cell)·stride, exp(t)·stride, objectness × class', () => {
    const { detections } = decodeWith('yolox', outputs, 416);
    expect(detections).toHaveLength(1);
    expect(detections[0]!.classId).toBe(2);
    expect(detections[0]!.score).toBeCloseTo(0.72, 5);
    expectBox(detections[0]!.box, [164.8 - 32, 89.6 - 16, 164.8 + 32, 89.6 + 16]);
  });

  it('is not taken for YOLOv5 by shape alone: the shapes fit both, so the choice is left to the user', () => {
    const choice = chooseDecoder(sig(outputs), ctx(416));
    expect(choice.kind).toBe('ambiguous');
    if (choice.kind !== 'ambiguous') return;
    expect(choice.candidates.map((c) => c.family.name).sort()).toEqual(['yolov5', 'yolox']);
    // Shared class scores with three anchors per cell would also add up, but no anchors can be assumed for them.
    expect(choice.needing.map((n) => n.family)).toEqual(['yolo-anchors']);
  });

  it('reads one channels-first map per stride, and sigmoids logits', () => {
    const maps = [8, 16, 32].map((s) => ({ name: `p${s}`, dims: [1, 7, 320 / s, 320 / s], data: new Float32Array(7 * (320 / s) ** 2).fill(-9) }));
    const cells = 20 * 20;
    const k = 3 * 20 + 4; // stride 16, row 3, col 4
    [0, 0, 0, 0, 3, 2, -3].forEach((v, c) => (maps[1]!.data[c * cells + k] = v));
    const { detections } = decodeWith('yolox', maps, 320);
    expect(detections).toHaveLength(1);
    expect(detections[0]!.classId).toBe(0);
    expect(detections[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-3)) / (1 + Math.exp(-2)), 5);
    expectBox(detections[0]!.box, [4 * 16 - 8, 3 * 16 - 8, 4 * 16 + 8, 3 * 16 + 8]);
  });
});

describe('ssd', () => {
  it('decodes corner boxes normalised to the input, skipping the background column', () => {
    const n = 1200;
    const boxes = new Float32Array(n * 4);
    const scores = new Float32Array(n * 5);
    boxes.set([0.1, 0.2, 0.5, 0.6], 7 * 4);
    scores.set([0.05, 0.1, 0.85, 0.0, 0.0], 7 * 5);
    const outputs = [{ name: 'scores', dims: [1, n, 5], data: scores }, { name: 'boxes', dims: [1, n, 4], data: boxes }];
    const { detections } = decodeWith('ssd', outputs, 300);
    expect(detections.map((d) => [d.classId, d.score])).toEqual([[1, expect.closeTo(0.85, 5)]]);
    expectBox(detections[0]!.box, [30, 60, 150, 180]);
  });

  it('decodes offsets against generated SSD priors (centre variance 0.1, size 0.2) with softmax scores', () => {
    const params = parseDecoderSpec('ssd,priors=ssd,steps=16:32,min-sizes=32:64,ratios=2/2').params;
    const priors = ssdPriors(params, 64, 64);
    // Per cell: min box + two for ratio 2 → 3 priors; grids 4×4 and 2×2.
    expect(priors.length / 4).toBe(3 * 16 + 3 * 4);
    const n = priors.length / 4;
    const loc = new Float32Array(n * 4);
    const conf = new Float32Array(n * 3).fill(0);
    for (let i = 0; i < n; i++) conf[i * 3] = 5; // background everywhere…
    const target = 3 * 5; // …except prior 15: level 0, cell (row 1, col 1), min box
    conf.set([0, 0, 6], target * 3);
    loc.set([1, -0.5, Math.log(2) / 0.2, 0], target * 4);
    const { detections } = decodeWith('ssd', [{ name: 'loc', dims: [1, n, 4], data: loc }, { name: 'conf', dims: [1, n, 3], data: conf }], 64, 'priors=ssd,steps=16:32,min-sizes=32:64,ratios=2/2');
    expect(detections).toHaveLength(1);
    expect(detections[0]!.classId).toBe(1);
    const [pcx, pcy, pw, ph] = Array.from(priors.slice(4 * target, 4 * target + 4));
    expect([pcx, pcy, pw, ph]).toEqual([0.375, 0.375, 0.5, 0.5]);
    const cx = (0.375 + 0.1 * 0.5) * 64;
    const cy = (0.375 - 0.05 * 0.5) * 64;
    expectBox(detections[0]!.box, [cx - 32, cy - 16, cx + 32, cy + 16]);
  });

  it('rejects prior settings that do not make the outputs\' box count', () => {
    const out = [{ name: 'loc', dims: [1, 10, 4], data: new Float32Array(40) }, { name: 'conf', dims: [1, 10, 3], data: new Float32Array(30) }];
    const choice = chooseDecoder(sig(out), ctx(64), parseDecoderSpec('ssd,priors=ssd,steps=16,min-sizes=32,ratios=2'));
    expect(choice.kind === 'none' && choice.reasons[0]!.reason).toMatch(/make 48 priors, but the outputs have 10 boxes/);
  });
});

describe('detr', () => {
  it('decodes normalised centre boxes with softmax over 92 logits, no-object last, COCO category ids mapped to 80 classes', () => {
    const q = 100;
    const boxes = new Float32Array(q * 4);
    const logits = new Float32Array(q * 92).fill(0);
    for (let i = 0; i < q; i++) logits[i * 92 + 91] = 8; // no object
    boxes.set([0.5, 0.25, 0.2, 0.1], 3 * 4);
    logits[3 * 92 + 91] = 0;
    logits[3 * 92 + 18] = 9; // category 18 = dog = class 16
    const outputs = [{ name: 'pred_logits', dims: [1, q, 92], data: logits }, { name: 'pred_boxes', dims: [1, q, 4], data: boxes }];
    const choice = chooseDecoder(sig(outputs), ctx(640));
    // A hundred queries with 4 box values also fits an SSD with decoded boxes: the user chooses.
    expect(choice.kind).toBe('ambiguous');
    const { detections } = decodeWith('detr', outputs, 640);
    expect(detections).toHaveLength(1);
    expect(detections[0]!.classId).toBe(COCO91_IDS.indexOf(18));
    expect(detections[0]!.classId).toBe(16);
    expectBox(detections[0]!.box, [320 - 64, 160 - 32, 320 + 64, 160 + 32]);
  });

  it('reads one [1,Q,4+C] output with sigmoid scores (RT-DETR)', () => {
    const data = new Float32Array(300 * 84).fill(-10);
    data.set([0.5, 0.5, 0.5, 0.5], 0);
    data[4 + 7] = 2;
    const { detections } = decodeWith('detr', [{ name: 'output0', dims: [1, 300, 84], data }], 640, 'form=single');
    expect(detections.map((d) => d.classId)).toEqual([7]);
    expectBox(detections[0]!.box, [160, 160, 480, 480]);
  });
});

describe('end2end', () => {
  it('reads separate boxes, scores and labels (and a count) told apart by shape and type', () => {
    const boxes = new Float32Array(100 * 4);
    boxes.set([10, 20, 30, 40, 50, 60, 70, 80], 0);
    const scores = new Float32Array(100);
    scores.set([0.9, 0.8, 0.7]);
    const labels = new BigInt64Array(100);
    labels.set([3n, 1n, 2n]);
    const outputs: OutputTensor[] = [
      { name: 'num_dets', dims: [1, 1], data: Int32Array.from([2]) },
      { name: 'det_classes', dims: [1, 100], data: labels },
      { name: 'det_boxes', dims: [1, 100, 4], data: boxes },
      { name: 'det_scores', dims: [1, 100], data: scores },
    ];
    const choice = chooseDecoder(sig(outputs), ctx(640));
    expect(choice.kind === 'chosen' && choice.family.name).toBe('end2end');
    const { detections } = decodeWith('end2end', outputs, 640);
    expect(detections.map((d) => [d.classId, d.score])).toEqual([[3, expect.closeTo(0.9, 6)], [1, expect.closeTo(0.8, 6)]]);
    expect(detections[1]!.box).toEqual([50, 60, 70, 80]);
  });

  it('reads [N,7] NonMaxSuppression rows, and refuses a column that holds no class ids', () => {
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 0.9, 0, 5, 5, 6, 6, 2, 0.1]);
    const { detections } = decodeWith('end2end', [{ name: 'dets', dims: [2, 7], data: rows }], 640);
    expect(detections.map((d) => [d.classId, d.box])).toEqual([[5, [1, 2, 3, 4]]]);
    const wrong = Float32Array.from([0.37, 0.9, 1, 2, 3, 4]);
    expect(() => decodeWith('end2end', [{ name: 'x', dims: [1, 6], data: wrong }], 640, 'layout=class-score-xyxy')).toThrow(/holds 0\.37.*not a class id/);
  });
});

describe('yolo-anchors', () => {
  it('reads raw YOLOv5 per-stride maps [1,3,h,w,85] with logits, using the default anchors and saying so', () => {
    const maps = [8, 16, 32].map((s) => ({ name: `p${s}`, dims: [1, 3, 256 / s, 256 / s, 85], data: new Float32Array(3 * (256 / s) ** 2 * 85).fill(-8) }));
    // stride 32 (8×8 grid), anchor 1 (156×198), cell row 2 col 5: σ(0) = 0.5 → centre (2·0.5 − 0.5 + col)·32, size (2·0.5)²·anchor.
    const cell = 2 * 8 + 5;
    maps[2]!.data.set([0, 0, 0, 0, 4], (1 * 64 + cell) * 85);
    maps[2]!.data[(1 * 64 + cell) * 85 + 5 + 9] = 4;
    const choice = chooseDecoder(sig(maps), ctx(256));
    expect(choice.kind).toBe('chosen');
    if (choice.kind !== 'chosen') return;
    expect(choice.recognition.assumptions?.join()).toMatch(/YOLOv5's defaults/);
    const { detections } = decodeOutputs(choice.family, maps, choice.params, { inputWidth: 256, inputHeight: 256 }, options);
    expect(detections).toHaveLength(1);
    expect(detections[0]!.classId).toBe(9);
    expectBox(detections[0]!.box, [5.5 * 32 - 78, 2.5 * 32 - 99, 5.5 * 32 + 78, 2.5 * 32 + 99]);
  });

  it('reads channels-first maps [1,A·(5+nc),h,w] with the v3 box formula and given anchors', () => {
    const anchors = 'anchors=10:20/30:40';
    const maps = [16, 32].map((s) => ({ name: `p${s}`, dims: [1, 7, 64 / s, 64 / s], data: new Float32Array(7 * (64 / s) ** 2).fill(0) }));
    const k = 1 * 4 + 2; // stride 16, row 1, col 2
    [0.25, 0.75, Math.log(2), 0, 0.9, 0.8, 0.1].forEach((v, c) => (maps[0]!.data[c * 16 + k] = v));
    const { detections } = decodeWith('yolo-anchors', maps, 64, `${anchors},box=v3,activation=none`);
    expect(detections).toHaveLength(1);
    expectBox(detections[0]!.box, [(2.25 * 16) - 10, (1.75 * 16) - 10, (2.25 * 16) + 10, (1.75 * 16) + 10]);
  });

  it('says which parameter is missing when the anchors cannot be assumed', () => {
    const maps = [16, 32].map((s) => ({ name: `p${s}`, dims: [1, 352 / s, 352 / s, 95], data: new Float32Array(1) }));
    const choice = chooseDecoder(sig(maps), ctx(352));
    expect(choice.kind).toBe('none');
    if (choice.kind === 'none') expect(choice.reasons.find((r) => r.family === 'yolo-anchors')?.needs).toMatch(/anchors for strides 16,32 \(3 per stride\)/);
  });
});

describe('gfl', () => {
  it('reads one combined output (classes then 4×8 bins) when asked, with the NanoDet-Plus centre offset', () => {
    const cells = 40 * 40 + 20 * 20 + 10 * 10 + 5 * 5;
    const ch = 3 + 32;
    const data = new Float32Array(cells * ch).fill(-20);
    const k = 1600 + 3 * 20 + 7; // stride 16, row 3, col 7
    data[k * ch + 1] = 0.9;
    // Distances in bins: l 2, t 1, r 3, b 0 (one-hot logits → softmax ≈ one-hot).
    [2, 1, 3, 0].forEach((bin, side) => (data[k * ch + 3 + side * 8 + bin] = 20));
    const { detections } = decodeWith('gfl', [{ name: 'out', dims: [1, cells, ch], data }], 320, 'center-offset=0,activation=none');
    expect(detections).toHaveLength(1);
    expect(detections[0]!.classId).toBe(1);
    expectBox(detections[0]!.box, [7 * 16 - 32, 3 * 16 - 16, 7 * 16 + 48, 3 * 16]);
  });

  it('never takes a YOLO rows output for a combined GFL head from shapes alone', () => {
    const rows = [{ name: 'output', dims: [1, 8400, 85], data: new Float32Array(1) }];
    expect(decoderNamed('gfl')!.recognise(sig(rows), ctx(640), {}).fits).toBe(false);
  });
});

describe('class ids', () => {
  it('subtracts class-offset and drops ids below zero', () => {
    const rows = Float32Array.from([1, 2, 3, 4, 0.9, 1, 1, 2, 3, 4, 0.8, 0]);
    const { detections } = decodeWith('end2end', [{ name: 'dets', dims: [1, 2, 6], data: rows }], 640, 'class-offset=1');
    expect(detections.map((d) => d.classId)).toEqual([0]);
  });
});
