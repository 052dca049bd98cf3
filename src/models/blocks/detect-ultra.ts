/**
 * The Ultralytics anchor-free `Detect(nc, ch)` (YOLOv5u, YOLOv8, YOLO11) in export mode: per level a box branch
 * (cv2 → 4·16 DFL logits) and a class branch (cv3 → nc logits), flattened and concatenated over levels; the DFL
 * turns each side's 16-bin distribution into a distance, dist2bbox makes (cx, cy, w, h) around the anchor points,
 * × stride gives pixels, and the class logits go through a sigmoid → `[B, 4+nc, Σ ny·nx]`.
 *
 * The class branch has two forms that the pickle alone tells apart: the dense one (Conv3×3, Conv3×3, Conv2d) of
 * v5u/v8 and YOLO11's ((DWConv3×3, Conv1×1) ×2, Conv2d).
 */
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { concat } from './concat.js';
import { conv2d, convBnAct, dwConv } from './conv.js';

export const REG_MAX = 16;

export type DetectHeadStyle = 'dense' | 'dwconv';

export interface DetectUltraOptions {
  nc: number;
  inputSize: [number, number];
  /** Which class branch to build when the weights cannot tell (synthetic weights): from the yaml's blocks. */
  defaultHead: DetectHeadStyle;
}

/** Which class branch the weights hold; synthetic sources hold both, so the yaml's rule decides. */
function headStyle(ctx: GraphContext, path: string, fallback: DetectHeadStyle): DetectHeadStyle {
  const dw = ctx.weights.has(`${path}.cv3.0.0.0.conv.weight`);
  const dense = ctx.weights.has(`${path}.cv3.0.0.conv.weight`);
  if (dw !== dense) return dw ? 'dwconv' : 'dense';
  return fallback;
}

export function detectUltra(ctx: GraphContext, path: string, inputs: FeatureMap[], o: DetectUltraOptions): FeatureMap {
  const c2 = Math.max(16, Math.floor(inputs[0]!.channels / 4), REG_MAX * 4);
  const c3 = Math.max(inputs[0]!.channels, Math.min(o.nc, 100));
  const style = headStyle(ctx, path, o.defaultHead);
  const strides = inputs.map((x) => o.inputSize[0] / x.height);
  const no = o.nc + 4 * REG_MAX;
  const batch = ctx.reshapeBatch;

  const perLevel = inputs.map((x, i) => {
    const box = `${path}.cv2.${i}`;
    let b = convBnAct(ctx, `${box}.0`, x, { c2, k: 3 });
    b = convBnAct(ctx, `${box}.1`, b, { c2, k: 3 });
    b = conv2d(ctx, `${box}.2`, b, { c2: 4 * REG_MAX, biasPrior: new Float32Array(4 * REG_MAX).fill(1) });
    const cls = `${path}.cv3.${i}`;
    let c: FeatureMap;
    if (style === 'dense') {
      c = convBnAct(ctx, `${cls}.0`, x, { c2: c3, k: 3 });
      c = convBnAct(ctx, `${cls}.1`, c, { c2: c3, k: 3 });
    } else {
      c = dwConv(ctx, `${cls}.0.0`, x, { c2: x.channels, k: 3 });
      c = convBnAct(ctx, `${cls}.0.1`, c, { c2: c3, k: 1 });
      c = dwConv(ctx, `${cls}.1.0`, c, { c2: c3, k: 3 });
      c = convBnAct(ctx, `${cls}.1.1`, c, { c2: c3, k: 1 });
    }
    const clsPrior = new Float32Array(o.nc).fill(Math.log(5 / o.nc / (640 / strides[i]!) ** 2));
    c = conv2d(ctx, `${cls}.2`, c, { c2: o.nc, biasPrior: clsPrior });
    return concat(ctx, path, [b, c]);
  });

  const flat = perLevel.map((x) => ctx.add('Reshape', path, [x.name, ctx.int64Constant([batch, no, -1])])[0]!);
  const [all] = ctx.add('Concat', path, flat, { axis: 2 });
  const anchorCount = inputs.reduce((s, x) => s + x.height * x.width, 0);
  const [boxLogits, clsLogits] = ctx.split(path, all!, [4 * REG_MAX, o.nc], 1);
  const distances = dfl(ctx, `${path}.dfl`, boxLogits!, anchorCount);
  const { anchors, strideRow } = anchorConstants(inputs, strides);
  const anchorName = ctx.floatInitializer(`${path}.anchors`, anchors, [1, 2, anchorCount]);
  const strideName = ctx.floatInitializer(`${path}.strides`, strideRow, [1, anchorCount]);
  const [xywh] = dist2bbox(ctx, path, distances, anchorName);
  const [pixels] = ctx.add('Mul', path, [xywh!, strideName]);
  const [scores] = ctx.add('Sigmoid', path, [clsLogits!]);
  const [out] = ctx.add('Concat', path, [pixels!, scores!], { axis: 1 });
  return { name: out!, channels: 4 + o.nc, height: anchorCount, width: 1 };
}

/**
 * DFL: softmax over each side's 16 bins, then the expectation Σ p·i as a 1×1 conv with weight arange(16).
 * The official form puts the bins on axis 1; Softmax before opset 13 flattens from its axis, so there the bins go
 * last for the softmax and back for the conv.
 */
function dfl(ctx: GraphContext, path: string, logits: string, anchors: number): string {
  const batch = ctx.reshapeBatch;
  const [sides] = ctx.add('Reshape', path, [logits, ctx.int64Constant([batch, 4, REG_MAX, anchors])]);
  let probabilities: string;
  if (ctx.opset >= 13) {
    const [bins] = ctx.add('Transpose', path, [sides!], { perm: [0, 2, 1, 3] });
    probabilities = ctx.add('Softmax', path, [bins!], { axis: 1 })[0]!;
  } else {
    const [binsLast] = ctx.add('Transpose', path, [sides!], { perm: [0, 1, 3, 2] });
    const [soft] = ctx.add('Softmax', path, [binsLast!], { axis: 3 });
    probabilities = ctx.add('Transpose', path, [soft!], { perm: [0, 3, 1, 2] })[0]!;
  }
  const arange = Float32Array.from({ length: REG_MAX }, (_, i) => i);
  const expectation = conv2d(ctx, `${path}.conv`, { name: probabilities, channels: REG_MAX, height: 4, width: anchors }, { c2: 1, bias: false, weightPrior: arange });
  return ctx.add('Reshape', path, [expectation.name, ctx.int64Constant([batch, 4, anchors])])[0]!;
}

/**
 * dist2bbox(xywh): lt, rb = chunk(2) along the side axis; the chunk bounds come from the tensor's shape at run
 * time exactly as the official export computes them (Shape → Gather → (n+1)/2), which keeps its op histogram.
 */
function dist2bbox(ctx: GraphContext, path: string, distances: string, anchors: string): string[] {
  const [shape] = ctx.add('Shape', path, [distances]);
  const axis = ctx.int64Constant([1]);
  const [sides] = ctx.add('Gather', path, [shape!, axis], { axis: 0 });
  const [plusOne] = ctx.add('Add', path, [sides!, ctx.int64Constant([1])]);
  const [half] = ctx.add('Div', path, [plusOne!, ctx.int64Constant([2])]);
  const [end0] = ctx.add('Mul', path, [half!, ctx.int64Constant([1])]);
  const [lt] = ctx.add('Slice', path, [distances, ctx.int64Constant([0]), end0!, axis]);
  const [end1] = ctx.add('Mul', path, [half!, ctx.int64Constant([2])]);
  const [rb] = ctx.add('Slice', path, [distances, end0!, end1!, axis]);
  const [x1y1] = ctx.add('Sub', path, [anchors, lt!]);
  const [x2y2] = ctx.add('Add', path, [anchors, rb!]);
  const [sum] = ctx.add('Add', path, [x1y1!, x2y2!]);
  const [centre] = ctx.add('Div', path, [sum!, ctx.floatScalar(2)]);
  const [size] = ctx.add('Sub', path, [x2y2!, x1y1!]);
  return ctx.add('Concat', path, [centre!, size!], { axis: 1 });
}

/** `make_anchors(offset 0.5)`: cell centres in grid units per level (row-major), and each anchor's stride. */
function anchorConstants(inputs: FeatureMap[], strides: number[]): { anchors: Float32Array; strideRow: Float32Array } {
  const total = inputs.reduce((s, x) => s + x.height * x.width, 0);
  const anchors = new Float32Array(2 * total);
  const strideRow = new Float32Array(total);
  let i = 0;
  inputs.forEach((x, level) => {
    for (let y = 0; y < x.height; y++) {
      for (let xx = 0; xx < x.width; xx++) {
        anchors[i] = xx + 0.5;
        anchors[total + i] = y + 0.5;
        strideRow[i] = strides[level]!;
        i++;
      }
    }
  });
  return { anchors, strideRow };
}
