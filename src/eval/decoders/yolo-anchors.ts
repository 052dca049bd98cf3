/**
 * `yolo-anchors`: anchor-based YOLO heads whose grid and anchor decoding was left outside the graph (raw
 * YOLOv3/v5-style exports, YOLOv5-Lite, Yolo-FastestV2). The anchors are not in such files: YOLOv5's defaults
 * are assumed only for the standard three strides with three anchors each, otherwise they must be given.
 *
 * Forms read (by shape, not by name):
 * - one table [1,N,C] or [N,C]: per-anchor rows (level, anchor, cell; C = 5 + classes) or one row per cell
 *   with the anchors in the channels (C = 5·A + classes, Yolo-FastestV2's merged export);
 * - one map per stride, channels first [1,C,h,w] or last [1,h,w,C], or [1,A,h,w,5+classes].
 * Per anchor the values are tx, ty, tw, th, objectness, classes; with shared classes a cell holds 4·A box
 * values, A objectness values, then the classes.
 */
import { YOLO_PREPROCESSING } from '../../image/preprocessing.js';
import { EdgeoptError } from '../../util/errors.js';
import { param, type DecoderParams } from './params.js';
import { findGridHead, gridLevels, looksLikeLogits, numbers, shapeText, sigmoid, stridesForCount, table, type GridHead, type GridLevel, type Table } from './tensor.js';
import type { DecoderFamily, OutputSignature, OutputTensor, Recognition, RecognitionContext } from './types.js';

/** YOLOv5's default anchors (input pixels) for strides 8, 16, 32; YOLOv5-Lite uses them too. */
export const YOLOV5_ANCHORS = [
  [10, 13, 16, 30, 33, 23],
  [30, 61, 62, 45, 59, 119],
  [116, 90, 156, 198, 373, 326],
];

type CellLayout = 'per-anchor' | 'shared-classes';

const findHead = (outputs: readonly OutputSignature[], ctx: { inputWidth: number; inputHeight: number }): GridHead | undefined =>
  findGridHead(outputs, ctx.inputWidth, ctx.inputHeight, { channelsLast: true, rank5: true });

function anchorsPerLevel(anchors: number[][] | undefined, fallback: number): number {
  return anchors ? anchors[0]!.length / 2 : fallback;
}

/** Class count and cell layout that a channel count allows, for A anchors per cell. */
function layoutsFor(channels: number, anchors: number, numClasses?: number): Array<{ layout: CellLayout; numClasses: number }> {
  const options: Array<{ layout: CellLayout; numClasses: number }> = [];
  if (channels % anchors === 0 && channels / anchors > 5) options.push({ layout: 'per-anchor', numClasses: channels / anchors - 5 });
  if (anchors > 1 && channels - 5 * anchors >= 1) options.push({ layout: 'shared-classes', numClasses: channels - 5 * anchors });
  return numClasses === undefined ? options : options.filter((o) => o.numClasses === numClasses);
}

function validateAnchors(anchors: number[][] | undefined): void {
  if (!anchors) return;
  if (anchors.some((l) => l.length < 2 || l.length % 2 !== 0 || l.length !== anchors[0]!.length || l.some((v) => !(v > 0)))) {
    throw new EdgeoptError('--decoder yolo-anchors anchors=: each stride needs the same number of positive w:h pairs (levels separated by /)');
  }
}

function recognise(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Recognition {
  const givenAnchors = param.levels(given, 'anchors');
  validateAnchors(givenAnchors);
  const head = findHead(outputs, ctx);
  if (!head) return { fits: false, reason: 'no per-stride maps and no [1,N,C] table' };
  const assumptions: string[] = [];
  let strides = param.list(given, 'strides');
  let perCell = anchorsPerLevel(givenAnchors, 3);
  let channels: number;
  let shape: string;
  let layouts: Array<{ layout: CellLayout; numClasses: number; strides?: number[] }>;
  if (head.kind === 'maps') {
    const mapStrides = head.maps.map((m) => m.level.stride);
    if (strides && strides.join() !== mapStrides.join()) {
      return { fits: false, reason: `the maps are at strides ${mapStrides.join(',')}, not the given ${strides.join(',')}` };
    }
    strides = mapStrides;
    channels = head.maps[0]!.channels;
    if (head.maps.some((m) => m.channels !== channels)) return { fits: false, reason: 'the per-stride maps have different channel counts' };
    const rank5 = head.maps[0]!.anchorsAxis;
    if (rank5) perCell = outputs[head.maps[0]!.index]!.dims[1]!;
    layouts = layoutsFor(channels, perCell, ctx.numClasses);
    if (rank5) layouts = layouts.filter((l) => l.layout === 'per-anchor');
    shape = head.maps.map((m) => shapeText(outputs[m.index]!.dims)).join(' + ');
  } else {
    channels = head.cols;
    shape = shapeText(outputs[head.index]!.dims);
    layouts = [];
    const levels = givenAnchors?.length;
    const match = (cellsPerRow: number) => {
      const found = stridesForCount(head.rows, ctx.inputWidth, ctx.inputHeight, cellsPerRow, levels);
      return strides ? found.filter((s) => s.join() === strides!.join()) : found;
    };
    const perAnchor = match(perCell);
    const perCellRows = match(1);
    // A per-anchor row holds one anchor (5 + classes); a per-cell row holds all of them.
    const tableLayouts = [
      ...(channels > 5 ? [{ layout: 'per-anchor' as const, numClasses: channels - 5 }] : []),
      ...layoutsFor(channels, perCell, undefined).filter((l) => l.layout === 'shared-classes'),
    ].filter((l) => ctx.numClasses === undefined || l.numClasses === ctx.numClasses);
    for (const l of tableLayouts) {
      const found = l.layout === 'per-anchor' ? perAnchor : perCellRows;
      if (found.length === 0) continue;
      // Prefer the three standard strides when several runs add up to the same count.
      const pick = found.find((s) => s.join() === '8,16,32') ?? (found.length === 1 ? found[0] : undefined);
      if (pick) layouts.push({ ...l, strides: pick });
    }
    if (layouts.length === 0) return { fits: false, reason: `${head.rows} rows of ${channels} is not ${perCell} anchors per cell on any stride set at ${ctx.inputWidth}x${ctx.inputHeight}` };
  }
  const forced = param.text(given, 'layout') as CellLayout | undefined;
  if (forced) layouts = layouts.filter((l) => l.layout === forced);
  if (layouts.length === 0) return { fits: false, reason: `${shape}: ${channels} channels does not split into ${perCell} anchors and the class count` };
  if (layouts.length > 1) {
    assumptions.push(`cell layout per-anchor assumed (${channels} channels would also fit shared class scores; pass layout=shared-classes)`);
  }
  const chosen = layouts[0]!;
  strides = chosen.strides ?? strides;
  let anchors = givenAnchors;
  if (!anchors) {
    if (strides!.join() === '8,16,32' && perCell === 3 && chosen.layout === 'per-anchor') {
      anchors = YOLOV5_ANCHORS;
      assumptions.push("anchors are YOLOv5's defaults (the file does not hold them; pass anchors= if the model was trained with others)");
    } else {
      return {
        fits: false,
        reason: `the anchors are not in the file`,
        needs: `anchors for strides ${strides!.join(',')} (${perCell} per stride): --decoder yolo-anchors,anchors=w:h:w:h…/w:h…`,
      };
    }
  }
  if (anchors.length !== strides!.length) {
    return { fits: false, reason: `${anchors.length} anchor groups given for ${strides!.length} strides (${strides!.join(',')})` };
  }
  return {
    fits: true,
    params: { anchors, strides: strides!, layout: chosen.layout, classes: chosen.numClasses, box: param.text(given, 'box') ?? 'v5' },
    variant: `${head.kind === 'maps' ? `one map per stride (${head.maps[0]!.channelsFirst ? 'channels first' : 'channels last'})` : 'one table'} ${shape}, ${chosen.layout === 'per-anchor' ? 'per-anchor rows' : 'shared class scores'}`,
    evidence: 'shape',
    assumptions,
    defaulted: [...(givenAnchors ? [] : ['anchors']), ...(param.text(given, 'box') ? [] : ['box'])],
  };
}

/** One anchor's view of one level: cells × channels, and which columns hold its box, objectness and classes. */
interface AnchorView {
  t: Table;
  level: GridLevel;
  anchorW: number;
  anchorH: number;
  boxCol: number;
  objCol: number;
  clsCol: number;
}

function anchorViews(outputs: readonly OutputTensor[], params: DecoderParams, ctx: { inputWidth: number; inputHeight: number }): { views: AnchorView[]; numClasses: number } {
  const anchors = param.levels(params, 'anchors')!;
  const strides = param.list(params, 'strides')!;
  const layout = param.text(params, 'layout') as CellLayout;
  const A = anchors[0]!.length / 2;
  const head = findHead(outputs, ctx);
  if (!head) throw new EdgeoptError('yolo-anchors: the outputs no longer have the head shape they were recognised with');
  const levels = gridLevels(ctx.inputWidth, ctx.inputHeight, strides);
  const C = head.kind === 'table' ? head.cols : head.maps[0]!.channels;
  const numClasses = layout === 'shared-classes' ? C - 5 * A : head.kind === 'table' ? C - 5 : C / A - 5;
  const perAnchorCols = 5 + numClasses;
  const views: AnchorView[] = [];
  let rowStart = 0;
  levels.forEach((level, l) => {
    const map = head.kind === 'maps' ? head.maps.find((m) => m.level.stride === level.stride) : undefined;
    if (head.kind === 'maps' && !map) throw new EdgeoptError(`yolo-anchors: no output map for stride ${level.stride}`);
    const data = numbers(outputs[head.kind === 'table' ? head.index : map!.index]!.data);
    for (let a = 0; a < A; a++) {
      const anchorW = anchors[l]![2 * a]!;
      const anchorH = anchors[l]![2 * a + 1]!;
      if (layout === 'shared-classes') {
        const t =
          head.kind === 'table'
            ? table(data, level.cells, C, C, 1, rowStart * C)
            : map!.channelsFirst
              ? table(data, level.cells, C, 1, level.cells)
              : table(data, level.cells, C, C, 1);
        views.push({ t, level, anchorW, anchorH, boxCol: 4 * a, objCol: 4 * A + a, clsCol: 5 * A });
        continue;
      }
      let t: Table;
      if (head.kind === 'table') t = table(data, level.cells, perAnchorCols, perAnchorCols, 1, (rowStart + a * level.cells) * perAnchorCols);
      else if (map!.anchorsAxis) t = table(data, level.cells, perAnchorCols, perAnchorCols, 1, a * level.cells * perAnchorCols);
      else if (map!.channelsFirst) t = table(data, level.cells, perAnchorCols, 1, level.cells, a * perAnchorCols * level.cells);
      else t = table(data, level.cells, perAnchorCols, C, 1, a * perAnchorCols);
      views.push({ t, level, anchorW, anchorH, boxCol: 0, objCol: 4, clsCol: 5 });
    }
    rowStart += level.cells * (layout === 'per-anchor' ? A : 1);
  });
  if (head.kind === 'table' && rowStart !== head.rows) {
    throw new EdgeoptError(`yolo-anchors: ${head.rows} rows, but strides ${strides.join(',')} with ${A} anchors give ${rowStart}`);
  }
  return { views, numClasses };
}

export const yoloAnchors: DecoderFamily = {
  name: 'yolo-anchors',
  summary: 'anchor-based YOLO heads decoded outside the graph (raw YOLOv3/v5 exports, YOLOv5-Lite, Yolo-FastestV2): one table or one map per stride',
  params: {
    anchors: { kind: 'levels', help: 'anchor w:h pairs in input pixels, one group per stride separated by / (default: YOLOv5\'s for strides 8,16,32)' },
    strides: { kind: 'list', help: 'strides of the levels, e.g. 8:16:32 (default: from the output shapes)' },
    layout: { kind: 'enum', values: ['per-anchor', 'shared-classes'], help: 'per-anchor: 5+classes values per anchor; shared-classes: 4·A box, A objectness, then classes per cell' },
    box: { kind: 'enum', values: ['v5', 'v3'], help: 'v5: centre (2σ−0.5+cell)·stride, size (2σ)²·anchor; v3: centre (σ+cell)·stride, size exp(t)·anchor' },
    activation: { kind: 'enum', values: ['auto', 'sigmoid', 'none'], help: 'sigmoid the values first (auto: when any objectness is outside [0,1])' },
  },
  nmsInside: false,
  validatorIou: 0.6,
  preprocess: YOLO_PREPROCESSING,
  recognise,
  decode(outputs, params, ctx, options, out) {
    const { views, numClasses } = anchorViews(outputs, params, ctx);
    const v3 = param.text(params, 'box') === 'v3';
    const mode = param.text(params, 'activation') ?? 'auto';
    const conf = options.confThreshold;
    const multiLabel = options.multiLabel ?? false;
    const logits = mode === 'sigmoid' || (mode === 'auto' && views.some((v) => looksLikeLogits(v.t, [v.objCol])));
    const act = logits ? sigmoid : (x: number) => x;
    for (const v of views) {
      const { t, level, anchorW, anchorH, boxCol, objCol, clsCol } = v;
      for (let k = 0; k < level.cells; k++) {
        const obj = act(t.at(k, objCol));
        if (!(obj > conf)) continue;
        const col = k % level.cols;
        const row = (k - col) / level.cols;
        const tx = act(t.at(k, boxCol));
        const ty = act(t.at(k, boxCol + 1));
        let cx: number, cy: number, w: number, h: number;
        if (v3) {
          cx = (tx + col) * level.stride;
          cy = (ty + row) * level.stride;
          w = Math.exp(t.at(k, boxCol + 2)) * anchorW;
          h = Math.exp(t.at(k, boxCol + 3)) * anchorH;
        } else {
          cx = (2 * tx - 0.5 + col) * level.stride;
          cy = (2 * ty - 0.5 + row) * level.stride;
          w = (2 * act(t.at(k, boxCol + 2))) ** 2 * anchorW;
          h = (2 * act(t.at(k, boxCol + 3))) ** 2 * anchorH;
        }
        out.pushClasses([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], obj, numClasses, (c) => act(t.at(k, clsCol + c)), conf, multiLabel);
      }
    }
    return 'input';
  },
};
