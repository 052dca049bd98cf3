/**
 * `end2end`: final detections, NMS done inside the graph (YOLOv10 and Ultralytics end-to-end exports,
 * PaddleDetection's multiclass_nms, ONNX/TensorRT NMS exports). Forms, by shape:
 * - rows [1,K,6] x1,y1,x2,y2,score,class (Ultralytics);
 * - rows [N,6] class,score,x1,y1,x2,y2 (PaddleDetection, which also takes scale_factor and returns source pixels);
 * - rows [N,7] batch,x1,y1,x2,y2,class,score (ONNX NonMaxSuppression exports);
 * - separate boxes [1,K,4], scores [1,K], labels [1,K], optionally a count [1] or [1,1].
 */
import { IMAGENET_MEAN, IMAGENET_STD, YOLO_PREPROCESSING } from '../../image/preprocessing.js';
import { EdgeoptError } from '../../util/errors.js';
import { param, type DecoderParams } from './params.js';
import { numbers, rowsOf, shapeText, withoutBatch } from './tensor.js';
import type { DecoderFamily, OutputSignature, OutputTensor, Recognition, RecognitionContext } from './types.js';

type RowLayout = 'xyxy-score-class' | 'class-score-xyxy' | 'batch-xyxy-class-score';
const ROW_LAYOUTS: readonly RowLayout[] = ['xyxy-score-class', 'class-score-xyxy', 'batch-xyxy-class-score'];
/** Column of x1, score and class in each row layout. */
const COLUMNS: Record<RowLayout, { x1: number; score: number; cls: number; width: number }> = {
  'xyxy-score-class': { x1: 0, score: 4, cls: 5, width: 6 },
  'class-score-xyxy': { x1: 2, score: 1, cls: 0, width: 6 },
  'batch-xyxy-class-score': { x1: 1, score: 6, cls: 5, width: 7 },
};

type Form =
  | { kind: 'rows'; index: number; layout: RowLayout }
  | { kind: 'separate'; boxes: number; vectors: [number, number]; count?: number };

/** The two [1,K] / [K] outputs beside a [1,K,4] box output, and a [1] / [1,1] count if there is one. */
function findSeparate(outputs: readonly OutputSignature[]): Extract<Form, { kind: 'separate' }> | undefined {
  const boxes = outputs.findIndex((o) => o.dims.length === 3 && o.dims[2] === 4);
  if (boxes < 0) return undefined;
  const k = outputs[boxes]!.dims[1];
  const vectors = outputs
    .map((o, i) => ({ o, i }))
    .filter(({ o, i }) => i !== boxes && o.dims.length >= 1 && o.dims.length <= 2 && o.dims[o.dims.length - 1] === k && (o.dims.length === 1 || o.dims[0] === 1 || o.dims[0] === undefined) && (k === undefined || k > 1));
  if (vectors.length !== 2) return undefined;
  const count = outputs.findIndex((o, i) => i !== boxes && !vectors.some((v) => v.i === i) && o.dims.every((d) => d === 1));
  return { kind: 'separate', boxes, vectors: [vectors[0]!.i, vectors[1]!.i], count: count >= 0 ? count : undefined };
}

function findForm(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Form | string {
  const forced = param.text(given, 'layout') as RowLayout | undefined;
  const separate = findSeparate(outputs);
  if (separate && !forced) return separate;
  for (let index = 0; index < outputs.length; index++) {
    const dims = outputs[index]!.dims;
    const d = withoutBatch(dims, 2);
    if (!d || dims.length < 2) continue;
    const cols = d[1];
    if (forced) {
      if (cols === COLUMNS[forced].width) return { kind: 'rows', index, layout: forced };
      continue;
    }
    if (cols === 6 && dims.length === 3) return { kind: 'rows', index, layout: 'xyxy-score-class' };
    if (cols === 6 && dims.length === 2) {
      if (ctx.auxKinds.includes('scale-factor') || ctx.requested) return { kind: 'rows', index, layout: 'class-score-xyxy' };
      return `${shapeText(dims)} could be class,score,x1,y1,x2,y2 or x1,y1,x2,y2,score,class: pass layout=`;
    }
    if (cols === 7 && dims.length === 2) return { kind: 'rows', index, layout: 'batch-xyxy-class-score' };
  }
  return forced ? `no output has the ${COLUMNS[forced].width} columns of ${forced}` : 'no [1,K,6] / [N,6] / [N,7] rows and no separate boxes/scores/labels outputs';
}

function recognise(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Recognition {
  const form = findForm(outputs, ctx, given);
  if (typeof form === 'string') return { fits: false, reason: form };
  const paddle = ctx.auxKinds.includes('scale-factor');
  const metadata = ctx.exporter?.tool === 'ultralytics' && ctx.exporter.end2end === true;
  const boxes = param.text(given, 'boxes') ?? (paddle ? 'source' : 'input');
  const shape = form.kind === 'rows' ? shapeText(outputs[form.index]!.dims) : [form.boxes, ...form.vectors].map((i) => shapeText(outputs[i]!.dims)).join(' + ');
  return {
    fits: true,
    params: { ...(form.kind === 'rows' ? { layout: form.layout } : {}), boxes, ...(ctx.numClasses ? { classes: ctx.numClasses } : {}) },
    variant: form.kind === 'rows' ? `rows ${shape} (${form.layout})${paddle ? ', PaddleDetection multiclass_nms with scale_factor' : ''}` : `separate boxes, scores, labels ${shape}`,
    evidence: metadata ? 'metadata' : paddle ? 'convention' : 'shape',
    // PaddleDetection exports expect its own preprocessing: stretch, RGB, /255, ImageNet mean/std.
    preprocess: paddle ? { resize: 'stretch', color: 'rgb', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD, pad: 0 } : undefined,
    preprocessBy: paddle ? "PaddleDetection's preprocessing, for its scale_factor input" : undefined,
  };
}

function checkClassId(value: number, where: string): number {
  if (!Number.isInteger(value)) {
    throw new EdgeoptError(`end2end: ${where} holds ${value}, not a class id: the outputs are not laid out as assumed (try --decoder end2end,layout=…)`);
  }
  return value;
}

function decode(outputs: readonly OutputTensor[], params: DecoderParams, ctx: { inputWidth: number; inputHeight: number }, conf: number, push: (b: [number, number, number, number], s: number, c: number) => void): void {
  const form = findForm(outputs, { inputWidth: ctx.inputWidth, inputHeight: ctx.inputHeight, auxKinds: [], requested: true }, params);
  if (typeof form === 'string') throw new EdgeoptError(`end2end: ${form}`);
  const normalised = param.text(params, 'boxes') === 'normalized';
  const sx = normalised ? ctx.inputWidth : 1;
  const sy = normalised ? ctx.inputHeight : 1;
  if (form.kind === 'rows') {
    const t = rowsOf(outputs[form.index]!)!;
    const col = COLUMNS[form.layout];
    for (let r = 0; r < t.rows; r++) {
      const score = t.at(r, col.score);
      const cls = t.at(r, col.cls);
      if (!(score > conf) || cls < 0) continue;
      push([t.at(r, col.x1) * sx, t.at(r, col.x1 + 1) * sy, t.at(r, col.x1 + 2) * sx, t.at(r, col.x1 + 3) * sy], score, checkClassId(cls, `column ${col.cls}`));
    }
    return;
  }
  const boxes = rowsOf(outputs[form.boxes]!)!;
  const [a, b] = form.vectors.map((i) => outputs[i]!);
  // Labels are the integer vector (by type, else by value); scores the other.
  const integerValued = (t: OutputTensor) => !(t.data instanceof Float32Array || t.data instanceof Float64Array) || Array.from(numbers(t.data)).every(Number.isInteger);
  const [labels, scores] = integerValued(a!) && !integerValued(b!) ? [a!, b!] : integerValued(b!) ? [b!, a!] : [a!, b!];
  const labelValues = numbers(labels.data);
  const scoreValues = numbers(scores.data);
  let rows = boxes.rows;
  if (form.count !== undefined) {
    const n = Number(numbers(outputs[form.count]!.data)[0]);
    if (Number.isInteger(n) && n >= 0 && n <= rows) rows = n;
  }
  for (let r = 0; r < rows; r++) {
    const score = scoreValues[r]!;
    const cls = labelValues[r]!;
    if (!(score > conf) || cls < 0) continue;
    push([boxes.at(r, 0) * sx, boxes.at(r, 1) * sy, boxes.at(r, 2) * sx, boxes.at(r, 3) * sy], score, checkClassId(cls, 'the labels output'));
  }
}

export const end2end: DecoderFamily = {
  name: 'end2end',
  summary: 'final detections with NMS inside the graph: [1,K,6] (YOLOv10), [N,6] class-first (PaddleDetection), [N,7], or separate boxes/scores/labels',
  params: {
    layout: { kind: 'enum', values: ROW_LAYOUTS, help: 'column order of detection rows (default: from the shape)' },
    boxes: { kind: 'enum', values: ['input', 'source', 'normalized'], help: 'box coordinates: model-input pixels, source-image pixels (graphs that take scale_factor), or 0–1 of the input' },
  },
  nmsInside: true,
  validatorIou: 0.7,
  preprocess: YOLO_PREPROCESSING,
  recognise,
  decode(outputs, params, ctx, options, out) {
    decode(outputs, params, ctx, options.confThreshold, (b, s, c) => out.push(b[0], b[1], b[2], b[3], s, c));
    return param.text(params, 'boxes') === 'source' ? 'source' : 'input';
  },
};
