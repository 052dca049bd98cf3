/**
 * `yolox`: anchor-free heads with one box per grid cell and the grid left outside the graph (YOLOX exports with
 * decode_in_inference off): rows of raw offsets tx, ty, log sizes tw, th, objectness and class scores, one table
 * [1,N,5+classes] over all strides or one map per stride. cx = (tx + col)·stride, w = exp(tw)·stride.
 */
import { param } from './params.js';
import { cellsOf, findGridHead, gridLevels, looksLikeLogits, numbers, shapeText, sigmoid, stridesForCount, table, type GridHead, type GridLevel, type Table } from './tensor.js';
import type { DecoderFamily, OutputSignature } from './types.js';

/** `channelsLast`: also take [1,h,w,C] maps (YOLOX's own exports are channels first; only when asked for). */
const findHead = (outputs: readonly OutputSignature[], width: number, height: number, channelsLast: boolean): GridHead | undefined =>
  findGridHead(outputs, width, height, { channelsLast, rank5: false });

export const yolox: DecoderFamily = {
  name: 'yolox',
  summary: 'anchor-free, grid outside the graph: rows of raw offsets, log sizes, objectness, classes; one [1,N,5+classes] table or one map per stride (YOLOX)',
  params: {
    strides: { kind: 'list', help: 'strides of the levels (default: from the output shapes, usually 8:16:32)' },
    activation: { kind: 'enum', values: ['auto', 'sigmoid', 'none'], help: 'sigmoid objectness and classes first (auto: when any is outside [0,1])' },
  },
  nmsInside: false,
  validatorIou: 0.65,
  // YOLOX (since 0.1.1): top-left letterbox padded with 114, BGR, 0–255, no mean/std.
  preprocess: { resize: 'letterbox-topleft', pad: 114, color: 'bgr', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], layout: 'nchw' },
  recognise(outputs, ctx, given) {
    const head = findHead(outputs, ctx.inputWidth, ctx.inputHeight, ctx.requested ?? false);
    if (!head) return { fits: false, reason: 'no [1,N,5+classes] table and no per-stride maps' };
    const givenStrides = param.list(given, 'strides');
    let strides: number[];
    let channels: number;
    let shape: string;
    if (head.kind === 'maps') {
      strides = head.maps.map((m) => m.level.stride);
      channels = head.maps[0]!.channels;
      if (head.maps.some((m) => m.channels !== channels)) return { fits: false, reason: 'the per-stride maps have different channel counts' };
      shape = head.maps.map((m) => shapeText(outputs[m.index]!.dims)).join(' + ');
    } else {
      channels = head.cols;
      shape = shapeText(outputs[head.index]!.dims);
      const found = stridesForCount(head.rows, ctx.inputWidth, ctx.inputHeight, 1).filter((s) => !givenStrides || s.join() === givenStrides.join());
      const pick = found.find((s) => s.join() === '8,16,32') ?? (found.length === 1 ? found[0] : undefined);
      if (!pick) return { fits: false, reason: `${head.rows} rows is not one per grid cell at ${ctx.inputWidth}x${ctx.inputHeight}` };
      strides = pick;
    }
    const numClasses = channels - 5;
    if (numClasses < 1) return { fits: false, reason: `${shape} has no class channels` };
    if (ctx.numClasses !== undefined && ctx.numClasses !== numClasses) {
      return { fits: false, reason: `${shape} would hold ${numClasses} classes, but the model names ${ctx.numClasses}` };
    }
    return { fits: true, params: { strides, classes: numClasses }, variant: `${head.kind === 'maps' ? 'one map per stride' : 'one table'} ${shape}`, evidence: 'shape' };
  },
  decode(outputs, params, ctx, options, out) {
    const head = findHead(outputs, ctx.inputWidth, ctx.inputHeight, true)!;
    const strides = param.list(params, 'strides')!;
    const levels = gridLevels(ctx.inputWidth, ctx.inputHeight, strides);
    const views: Array<{ t: Table; level: GridLevel }> = [];
    let rowStart = 0;
    for (const level of levels) {
      if (head.kind === 'table') {
        views.push({ t: table(numbers(outputs[head.index]!.data), level.cells, head.cols, head.cols, 1, rowStart * head.cols), level });
        rowStart += level.cells;
      } else {
        const map = head.maps.find((m) => m.level.stride === level.stride)!;
        views.push({ t: cellsOf(outputs[map.index]!, level, map.channelsFirst), level });
      }
    }
    const mode = param.text(params, 'activation') ?? 'auto';
    const logits = mode === 'sigmoid' || (mode === 'auto' && views.some((v) => looksLikeLogits(v.t, [4])));
    const act = logits ? sigmoid : (x: number) => x;
    const conf = options.confThreshold;
    for (const { t, level } of views) {
      const numClasses = t.cols - 5;
      for (let k = 0; k < level.cells; k++) {
        const obj = act(t.at(k, 4));
        if (!(obj > conf)) continue;
        const col = k % level.cols;
        const row = (k - col) / level.cols;
        const cx = (t.at(k, 0) + col) * level.stride;
        const cy = (t.at(k, 1) + row) * level.stride;
        const w = Math.exp(t.at(k, 2)) * level.stride;
        const h = Math.exp(t.at(k, 3)) * level.stride;
        out.pushClasses([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], obj, numClasses, (c) => act(t.at(k, 5 + c)), conf, options.multiLabel ?? false);
      }
    }
    return 'input';
  },
};
