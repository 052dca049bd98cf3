/**
 * YOLOv5's anchor-based `Detect(nc, anchors, ch)` in export mode: per level a 1×1 conv to na·(5+nc) channels,
 * reshaped to [B, na, ny, nx, 5+nc], sigmoid, then xy = (2·s − 0.5 + grid)·stride and wh = (2·s)²·anchor, all
 * levels concatenated to `[B, Σ na·ny·nx, 5+nc]` in input pixels — the same ops torch.onnx emits for it.
 */
import { EdgeoptError } from '../../util/errors.js';
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { conv2d } from './conv.js';

export interface DetectV5Options {
  nc: number;
  /** Anchors in pixels from the yaml, one flattened (w, h) list per level; the checkpoint's buffer wins. */
  anchors?: number[][];
  /** Input height and width, to derive each level's stride. */
  inputSize: [number, number];
}

/** The biases an untrained YOLOv5 Detect starts from (`_initialize_biases`): rare objects, uniform classes. */
function biasPrior(na: number, nc: number, stride: number): Float32Array {
  const no = nc + 5;
  const bias = new Float32Array(na * no);
  for (let a = 0; a < na; a++) {
    bias[a * no + 4] = Math.log(8 / (640 / stride) ** 2);
    for (let c = 0; c < nc; c++) bias[a * no + 5 + c] = Math.log(0.6 / (nc - 0.99));
  }
  return bias;
}

/** Per-level anchors in pixels: the checkpoint's `anchors` buffer (grid units) × stride, else the yaml's. */
function levelAnchors(ctx: GraphContext, path: string, levels: number, strides: number[], yamlAnchors?: number[][]): number[][] {
  const buffer = ctx.weights.optional(`${path}.anchors`);
  if (buffer) {
    const [nl, na, two] = buffer.shape;
    if (buffer.shape.length !== 3 || nl !== levels || two !== 2) {
      throw new EdgeoptError(`${ctx.layer}: Detect anchors have shape [${buffer.shape.join(',')}], expected [${levels}, na, 2]`);
    }
    return strides.map((s, i) => Array.from(buffer.data.subarray(i * na! * 2, (i + 1) * na! * 2), (v) => Math.fround(v * s)));
  }
  if (!yamlAnchors || yamlAnchors.length !== levels) {
    throw new EdgeoptError(`${ctx.layer}: Detect needs ${levels} anchor lists (yaml 'anchors')`);
  }
  return yamlAnchors;
}

export function detectV5(ctx: GraphContext, path: string, inputs: FeatureMap[], o: DetectV5Options): FeatureMap {
  const strides = inputs.map((x) => o.inputSize[0] / x.height);
  const anchors = levelAnchors(ctx, path, inputs.length, strides, o.anchors);
  const na = anchors[0]!.length / 2;
  if (anchors.some((a) => a.length !== 2 * na)) throw new EdgeoptError(`${ctx.layer}: every level needs the same number of anchors`);
  const no = o.nc + 5;
  const batch = ctx.reshapeBatch;
  const levels: FeatureMap[] = inputs.map((x, i) => {
    const stride = strides[i]!;
    const raw = conv2d(ctx, `${path}.m.${i}`, x, { c2: na * no, biasPrior: biasPrior(na, o.nc, stride) });
    const { height: ny, width: nx } = x;
    const [grouped] = ctx.add('Reshape', path, [raw.name, ctx.int64Constant([batch, na, no, ny, nx])]);
    const [cells] = ctx.add('Transpose', path, [grouped!], { perm: [0, 1, 3, 4, 2] });
    const [activated] = ctx.add('Sigmoid', path, [cells!]);
    const [xy, wh, conf] = ctx.split(path, activated!, [2, 2, o.nc + 1], 4);
    const { grid, anchorGrid } = gridConstants(na, ny, nx, anchors[i]!);
    const gridName = ctx.floatInitializer(`${path}.grid.${i}`, grid, [1, na, ny, nx, 2]);
    const anchorName = ctx.floatInitializer(`${path}.anchor_grid.${i}`, anchorGrid, [1, na, ny, nx, 2]);
    const two = ctx.floatScalar(2);
    const [xy2] = ctx.add('Mul', path, [xy!, two]);
    const [xyGrid] = ctx.add('Add', path, [xy2!, gridName]);
    const [xyPixels] = ctx.add('Mul', path, [xyGrid!, ctx.floatScalar(stride)]);
    const [wh2] = ctx.add('Mul', path, [wh!, two]);
    const [whSquared] = ctx.add('Pow', path, [wh2!, two]);
    const [whPixels] = ctx.add('Mul', path, [whSquared!, anchorName]);
    const [rows] = ctx.add('Concat', path, [xyPixels!, whPixels!, conf!], { axis: 4 });
    const [flat] = ctx.add('Reshape', path, [rows!, ctx.int64Constant([batch, na * ny * nx, no])]);
    return { name: flat!, channels: no, height: na * ny * nx, width: 1 };
  });
  const [out] = ctx.add('Concat', path, levels.map((l) => l.name), { axis: 1 });
  return { name: out!, channels: no, height: levels.reduce((s, l) => s + l.height, 0), width: 1 };
}

/** `_make_grid`: cell offsets (x − 0.5, y − 0.5) and anchor sizes broadcast to [1, na, ny, nx, 2]. */
function gridConstants(na: number, ny: number, nx: number, anchors: number[]): { grid: Float32Array; anchorGrid: Float32Array } {
  const count = na * ny * nx * 2;
  const grid = new Float32Array(count);
  const anchorGrid = new Float32Array(count);
  let i = 0;
  for (let a = 0; a < na; a++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        grid[i] = x - 0.5;
        grid[i + 1] = y - 0.5;
        anchorGrid[i] = anchors[2 * a]!;
        anchorGrid[i + 1] = anchors[2 * a + 1]!;
        i += 2;
      }
    }
  }
  return { grid, anchorGrid };
}
