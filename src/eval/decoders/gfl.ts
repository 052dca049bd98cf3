/**
 * `gfl`: Generalized-Focal-Loss style heads (NanoDet, NanoDet-Plus, PP-PicoDet): per cell a class-score vector
 * and a distribution over reg-max + 1 bins for each of the four distances left, top, right, bottom. The box is
 * the expected bin × stride around the cell centre. Outputs are told apart by shape alone:
 * - one score and one box output per stride ([1,cells,C] either way round, or [1,C,h,w] / [1,h,w,C] maps);
 * - one score and one box output over all strides;
 * - one output over all strides with classes then box bins in the channels (NanoDet-Plus).
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../../image/preprocessing.js';
import { param, type DecoderParams } from './params.js';
import {
  gridLevels,
  isStatic,
  KNOWN_STRIDES,
  levelOfMap,
  looksLikeLogits,
  numbers,
  range,
  shapeText,
  sigmoid,
  table,
  withoutBatch,
  type GridLevel,
  type Table,
} from './tensor.js';
import type { DecoderFamily, OutputSignature, OutputTensor, Recognition, RecognitionContext } from './types.js';

/** Bins per side that distribution heads use: 8 (NanoDet, PicoDet), 16 (YOLOv8 DFL), 17 (GFL). */
const COMMON_BINS = [8, 16, 17];

/** An output seen as cells × channels. */
interface Piece {
  index: number;
  cells: number;
  channels: number;
  /** Cells run along the second-to-last axis (rows) or the last one (columns of a [1,C,N] table / channels-first map). */
  cellsAxisLast: boolean;
}

/** Cell counts per stride and of every consecutive run of strides, at this input size. */
function cellCounts(width: number, height: number): { levels: GridLevel[]; runs: Map<number, number[]> } {
  const levels = gridLevels(width, height, KNOWN_STRIDES);
  const runs = new Map<number, number[]>();
  for (let i = 0; i < levels.length; i++) {
    let sum = 0;
    for (let j = i; j < levels.length; j++) {
      sum += levels[j]!.cells;
      if (j > i && !runs.has(sum)) runs.set(sum, levels.slice(i, j + 1).map((l) => l.stride));
    }
  }
  return { levels, runs };
}

function pieces(outputs: readonly OutputSignature[], width: number, height: number): Piece[] {
  const { levels, runs } = cellCounts(width, height);
  const isCount = (n: number | undefined) => n !== undefined && (levels.some((l) => l.cells === n) || runs.has(n));
  const out: Piece[] = [];
  outputs.forEach((o, index) => {
    const map = levelOfMap(o, width, height);
    if (map) {
      out.push({ index, cells: map.level.cells, channels: map.channels, cellsAxisLast: map.channelsFirst });
      return;
    }
    const d = withoutBatch(o.dims, 2);
    if (!d || !isStatic(d) || o.dims.length < 2) return;
    const [a, b] = d as [number, number];
    // Cells along the rows is the usual layout; only when the rows are not a cell count can they be the columns.
    if (isCount(a)) out.push({ index, cells: a, channels: b, cellsAxisLast: false });
    else if (isCount(b)) out.push({ index, cells: b, channels: a, cellsAxisLast: true });
  });
  return out;
}

interface Plan {
  /** Per level: its grid and the outputs holding its scores and box bins (the same output for combined heads). */
  levels: Array<{ level: GridLevel; score: Piece; box: Piece; rowStart: number }>;
  numClasses: number;
  bins: number;
  combined: boolean;
}

function binsOf(channels: number, given?: number): number | undefined {
  if (given !== undefined) return channels === 4 * (given + 1) ? given + 1 : undefined;
  return channels % 4 === 0 && COMMON_BINS.includes(channels / 4) ? channels / 4 : undefined;
}

/** Decides which piece of a pair is the box distribution, or why it cannot. */
function splitPair(a: Piece, b: Piece, numClasses: number | undefined, regMax: number | undefined): { score: Piece; box: Piece; bins: number } | string {
  const options = [
    { score: a, box: b },
    { score: b, box: a },
  ].filter((o) => binsOf(o.box.channels, regMax) !== undefined && (numClasses === undefined || o.score.channels === numClasses));
  if (options.length === 0) return `no output pair is class scores + 4×(reg-max+1) box bins (channels ${a.channels} and ${b.channels})`;
  if (options.length > 1) return `channels ${a.channels} and ${b.channels} could each be the box bins; pass classes= or reg-max=`;
  return { ...options[0]!, bins: binsOf(options[0]!.box.channels, regMax)! };
}

function plan(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Plan | string {
  const regMax = param.number(given, 'reg-max');
  const hint = param.number(given, 'classes') ?? ctx.numClasses;
  const all = pieces(outputs, ctx.inputWidth, ctx.inputHeight);
  const { levels, runs } = cellCounts(ctx.inputWidth, ctx.inputHeight);
  // One pair per stride.
  const byCells = new Map<number, Piece[]>();
  for (const p of all) byCells.set(p.cells, [...(byCells.get(p.cells) ?? []), p]);
  const perLevel = levels.filter((l) => byCells.get(l.cells)?.length === 2);
  if (perLevel.length >= 2) {
    const planned: Plan['levels'] = [];
    let bins = 0;
    let numClasses = 0;
    for (const level of perLevel) {
      const split = splitPair(byCells.get(level.cells)![0]!, byCells.get(level.cells)![1]!, hint, regMax);
      if (typeof split === 'string') return split;
      if ((bins && split.bins !== bins) || (numClasses && split.score.channels !== numClasses)) return 'the per-stride outputs disagree on classes or bins';
      bins = split.bins;
      numClasses = split.score.channels;
      planned.push({ level, score: split.score, box: split.box, rowStart: 0 });
    }
    return { levels: planned, numClasses, bins, combined: false };
  }
  // Scores and boxes over all strides, as two outputs or one.
  for (const [cells, strides] of runs) {
    const group = byCells.get(cells);
    if (!group) continue;
    const grid = gridLevels(ctx.inputWidth, ctx.inputHeight, strides);
    const withStarts = (score: Piece, box: Piece) => {
      let start = 0;
      return grid.map((level) => {
        const entry = { level, score, box, rowStart: start };
        start += level.cells;
        return entry;
      });
    };
    if (group.length === 2) {
      const split = splitPair(group[0]!, group[1]!, hint, regMax);
      if (typeof split === 'string') return split;
      return { levels: withStarts(split.score, split.box), numClasses: split.score.channels, bins: split.bins, combined: false };
    }
    // A single table over all strides is also what YOLO rows look like: only taken when asked for or pinned down.
    if (group.length === 1 && (ctx.requested || hint !== undefined || regMax !== undefined)) {
      const p = group[0]!;
      const bins = (regMax ?? 7) + 1;
      const numClasses = hint ?? p.channels - 4 * bins;
      if (numClasses < 1 || numClasses + 4 * bins !== p.channels) return `${p.channels} channels is not classes + 4×${bins} bins`;
      return { levels: withStarts(p, p), numClasses, bins, combined: true };
    }
  }
  return 'no outputs pair up as class scores + box bins per stride or over all strides';
}

function recognise(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Recognition {
  const p = plan(outputs, ctx, given);
  if (typeof p === 'string') return { fits: false, reason: p };
  const strides = p.levels.map((l) => l.level.stride);
  const assumptions: string[] = [];
  if (p.combined && param.number(given, 'reg-max') === undefined && param.number(given, 'classes') === undefined && ctx.numClasses === undefined) {
    assumptions.push(`one combined output: reg-max 7 assumed, so ${p.numClasses} classes (pass reg-max= or classes= otherwise)`);
  }
  const used = [...new Set(p.levels.flatMap((l) => [l.score.index, l.box.index]))];
  const shape = used.map((i) => shapeText(outputs[i]!.dims)).join(' + ');
  const form = p.combined ? 'one output, classes then box bins' : p.levels[0]!.score === p.levels[1]?.score ? 'scores + box bins over all strides' : 'scores + box bins per stride';
  return {
    fits: true,
    params: { strides, 'reg-max': p.bins - 1, classes: p.numClasses },
    variant: `${form}: ${shape}`,
    evidence: 'shape',
    assumptions,
  };
}

function pieceTable(t: OutputTensor, piece: Piece, rowStart: number, cells: number): Table {
  const data = numbers(t.data);
  // Rows layout: cell r at (rowStart + r) × channels; columns layout: channel c at c × total cells.
  return piece.cellsAxisLast
    ? table(data, cells, piece.channels, 1, piece.cells, rowStart)
    : table(data, cells, piece.channels, piece.channels, 1, rowStart * piece.channels);
}

export const gfl: DecoderFamily = {
  name: 'gfl',
  summary: 'distribution box heads with separate class scores (NanoDet, PP-PicoDet): per-stride or concatenated outputs, told apart by shape',
  params: {
    strides: { kind: 'list', help: 'strides (default: from the output shapes)' },
    'reg-max': { kind: 'int', min: 1, max: 64, help: 'highest bin index per side (7: NanoDet/PicoDet, 16: GFL; default: from the shapes)' },
    'center-offset': { kind: 'number', min: 0, max: 1, help: 'cell centre at (col + offset)·stride: 0.5 (PicoDet, GFL, default) or 0 (NanoDet-Plus)' },
    activation: { kind: 'enum', values: ['auto', 'sigmoid', 'none'], help: 'sigmoid the class scores first (auto: when any is outside [0,1])' },
  },
  nmsInside: false,
  validatorIou: 0.6,
  // PaddleDetection's PicoDet config: stretch, RGB, /255, ImageNet mean/std. (NanoDet: the same statistics on BGR.)
  preprocess: { resize: 'stretch', pad: 0, color: 'rgb', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: 'nchw' },
  recognise,
  decode(outputs, params, ctx, options, out) {
    const p = plan(outputs, { ...ctx, auxKinds: [], requested: true }, params);
    if (typeof p === 'string') throw new Error(`gfl: ${p}`);
    const offset = param.number(params, 'center-offset') ?? 0.5;
    const mode = param.text(params, 'activation') ?? 'auto';
    const conf = options.confThreshold;
    const bins = p.bins;
    const prob = new Float64Array(bins);
    const views = p.levels.map((l) => ({
      level: l.level,
      scores: pieceTable(outputs[l.score.index]!, l.score, l.rowStart, l.level.cells),
      boxes: pieceTable(outputs[l.box.index]!, l.box, l.rowStart, l.level.cells),
    }));
    const classCols = range(0, p.numClasses);
    const logits = mode === 'sigmoid' || (mode === 'auto' && views.some((v) => looksLikeLogits(v.scores, classCols)));
    const act = logits ? sigmoid : (x: number) => x;
    const boxStart = p.combined ? p.numClasses : 0;
    /** Expected distance (in bins) of side `s` for cell k: softmax over its bins. */
    const distance = (t: Table, k: number, s: number): number => {
      let max = -Infinity;
      for (let i = 0; i < bins; i++) max = Math.max(max, t.at(k, boxStart + s * bins + i));
      let sum = 0;
      for (let i = 0; i < bins; i++) sum += prob[i] = Math.exp(t.at(k, boxStart + s * bins + i) - max);
      let d = 0;
      for (let i = 0; i < bins; i++) d += (prob[i]! / sum) * i;
      return d;
    };
    for (const { level, scores, boxes } of views) {
      for (let k = 0; k < level.cells; k++) {
        let best = -Infinity;
        for (let c = 0; c < p.numClasses; c++) best = Math.max(best, scores.at(k, c));
        if (!(act(best) > conf)) continue;
        const col = k % level.cols;
        const row = (k - col) / level.cols;
        const cx = (col + offset) * level.stride;
        const cy = (row + offset) * level.stride;
        const s = level.stride;
        const box = [cx - distance(boxes, k, 0) * s, cy - distance(boxes, k, 1) * s, cx + distance(boxes, k, 2) * s, cy + distance(boxes, k, 3) * s] as const;
        out.pushClasses(box, 1, p.numClasses, (c) => act(scores.at(k, c)), conf, options.multiLabel ?? false);
      }
    }
    return 'input';
  },
};
