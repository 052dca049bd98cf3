/**
 * `ultralytics`: anchor-free heads with boxes decoded in the graph (YOLOv5u, YOLOv8, YOLO11 exports): one output
 * [1, 4 + classes, N] of columns cx, cy, w, h (input pixels) and class scores, no objectness.
 */
import { YOLO_PREPROCESSING } from '../../image/preprocessing.js';
import { param } from './params.js';
import { isStatic, rowsOf, shapeText, stridesForCount } from './tensor.js';
import type { DecoderFamily, OutputSignature } from './types.js';

function findColumns(outputs: readonly OutputSignature[], rowsLayout: boolean): number {
  return outputs.findIndex((o) => {
    const d = o.dims;
    if (d.length !== 3 || !(d[0] === 1 || d[0] === undefined)) return false;
    const channels = rowsLayout ? d[2] : d[1];
    const boxes = rowsLayout ? d[1] : d[2];
    return channels !== undefined && channels >= 5 && (boxes === undefined || boxes > channels);
  });
}

export const ultralytics: DecoderFamily = {
  name: 'ultralytics',
  summary: 'anchor-free, boxes decoded in the graph: [1,4+classes,N] columns of cx,cy,w,h (input pixels) and class scores (YOLOv5u, YOLOv8, YOLO11)',
  params: { layout: { kind: 'enum', values: ['columns', 'rows'], help: 'columns: [1,4+classes,N] (the export default); rows: [1,N,4+classes] (transposed exports)' } },
  nmsInside: false,
  validatorIou: 0.7,
  preprocess: YOLO_PREPROCESSING,
  recognise(outputs, ctx, given) {
    const rowsLayout = param.text(given, 'layout') === 'rows';
    const index = findColumns(outputs, rowsLayout);
    if (index < 0) return { fits: false, reason: `no output of shape ${rowsLayout ? '[1,N,4+classes]' : '[1,4+classes,N]'}` };
    const dims = outputs[index]!.dims;
    const channels = (rowsLayout ? dims[2] : dims[1])!;
    const boxes = rowsLayout ? dims[1] : dims[2];
    const numClasses = channels - 4;
    if (ctx.numClasses !== undefined && ctx.numClasses !== numClasses) {
      return { fits: false, reason: `${shapeText(dims)} would hold ${numClasses} classes, but the model names ${ctx.numClasses}` };
    }
    const metadata = (ctx.exporter?.tool === 'ultralytics' && !ctx.exporter.end2end) || ctx.edgeoptFamily === 'ultralytics';
    if (!metadata) {
      if (boxes === undefined || !isStatic(dims)) return { fits: false, reason: `${shapeText(dims)} has a symbolic box count` };
      if (stridesForCount(boxes, ctx.inputWidth, ctx.inputHeight).length === 0) {
        return { fits: false, reason: `${boxes} boxes is not one per grid cell at ${ctx.inputWidth}x${ctx.inputHeight}` };
      }
    }
    return {
      fits: true,
      params: { classes: numClasses, layout: rowsLayout ? 'rows' : 'columns' },
      variant: `one output ${shapeText(dims)}, boxes decoded in the graph`,
      evidence: metadata ? 'metadata' : 'shape',
    };
  },
  decode(outputs, params, _ctx, options, out) {
    const rowsLayout = param.text(params, 'layout') === 'rows';
    const t = rowsOf(outputs[findColumns(outputs, rowsLayout)]!, !rowsLayout)!;
    const numClasses = t.cols - 4;
    for (let r = 0; r < t.rows; r++) {
      const cx = t.at(r, 0);
      const cy = t.at(r, 1);
      const w = t.at(r, 2);
      const h = t.at(r, 3);
      out.pushClasses([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1, numClasses, (c) => t.at(r, 4 + c), options.confThreshold, options.multiLabel ?? false);
    }
    return 'input';
  },
};
