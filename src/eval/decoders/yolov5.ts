/**
 * `yolov5`: boxes already decoded in the graph, one output [1, N, 5 + classes] of rows cx, cy, w, h (input
 * pixels), objectness, class scores; score = objectness × class. YOLOv5 and YOLOv7 exports, and YOLOv6's
 * [1, 8400, 85] with objectness 1.
 */
import { YOLO_PREPROCESSING } from '../../image/preprocessing.js';
import type { DecoderFamily, OutputSignature, RecognitionContext } from './types.js';
import { isStatic, rowsOf, shapeText, stridesForCount, withoutBatch } from './tensor.js';

/** Index and [N, C] of the first output that is a table with many more rows than columns. */
export function findRowTable(outputs: readonly OutputSignature[], minCols: number): { index: number; rows: number | undefined; cols: number } | undefined {
  for (let i = 0; i < outputs.length; i++) {
    const d = withoutBatch(outputs[i]!.dims, 2);
    if (!d || outputs[i]!.dims.length < 2) continue;
    const [rows, cols] = d;
    if (cols !== undefined && cols >= minCols && (rows === undefined || rows > cols)) return { index: i, rows, cols };
  }
  return undefined;
}

/** How many boxes per grid cell a row count implies at this input size (1 = anchor-free), if it is a grid count. */
export function boxesPerCell(rows: number, ctx: RecognitionContext): number | undefined {
  for (const perCell of [1, 2, 3, 4, 5, 6, 9]) {
    if (stridesForCount(rows, ctx.inputWidth, ctx.inputHeight, perCell).some((s) => s[0] === 8 || s[0] === 16)) return perCell;
  }
  return undefined;
}

export const yolov5: DecoderFamily = {
  name: 'yolov5',
  summary: 'boxes decoded in the graph: [1,N,5+classes] rows of cx,cy,w,h (input pixels), objectness, class scores (YOLOv5, YOLOv7, YOLOv6)',
  params: {},
  nmsInside: false,
  validatorIou: 0.6,
  preprocess: YOLO_PREPROCESSING,
  recognise(outputs, ctx) {
    const found = findRowTable(outputs, 6);
    if (!found || outputs[found.index]!.dims.length !== 3) return { fits: false, reason: 'no output of shape [1,N,5+classes]' };
    const dims = outputs[found.index]!.dims;
    const numClasses = found.cols - 5;
    if (ctx.numClasses !== undefined && ctx.numClasses !== numClasses) {
      return { fits: false, reason: `${shapeText(dims)} would hold ${numClasses} classes, but the model names ${ctx.numClasses}` };
    }
    const metadata = ctx.exporter?.tool === 'yolov5' || ctx.edgeoptFamily === 'yolov5';
    if (!metadata) {
      if (found.rows === undefined || !isStatic(dims)) return { fits: false, reason: `${shapeText(dims)} has a symbolic box count` };
      if (boxesPerCell(found.rows, ctx) === undefined) {
        return { fits: false, reason: `${found.rows} rows is not a grid count at ${ctx.inputWidth}x${ctx.inputHeight}` };
      }
    }
    return {
      fits: true,
      params: { classes: numClasses },
      variant: `one output ${shapeText(dims)}, boxes decoded in the graph`,
      evidence: metadata ? 'metadata' : 'shape',
    };
  },
  decode(outputs, _params, _ctx, options, out) {
    const found = findRowTable(outputs, 6)!;
    const t = rowsOf(outputs[found.index]!)!;
    const numClasses = t.cols - 5;
    const conf = options.confThreshold;
    const multiLabel = options.multiLabel ?? false;
    for (let r = 0; r < t.rows; r++) {
      const obj = t.at(r, 4);
      if (!(obj > conf)) continue;
      const cx = t.at(r, 0);
      const cy = t.at(r, 1);
      const w = t.at(r, 2);
      const h = t.at(r, 3);
      out.pushClasses([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], obj, numClasses, (c) => t.at(r, 5 + c), conf, multiLabel);
    }
    return 'input';
  },
};
