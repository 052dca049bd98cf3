/**
 * `detr`: set-prediction heads (DETR, Deformable-DETR, RT-DETR): per query a box cx, cy, w, h normalised to the
 * input and class logits, as two outputs [1,Q,4] + [1,Q,C] or one [1,Q,4+C] (boxes first). No NMS: each query is
 * one detection. DETR's 92 logits (COCO category ids 0–90 plus "no object" last) select softmax, background
 * last and the COCO-91 class map; otherwise sigmoid scores without background (RT-DETR).
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../../image/preprocessing.js';
import { param, type DecoderParams } from './params.js';
import { rowSoftmax, rowsOf, shapeText, sigmoid, withoutBatch, type Table } from './tensor.js';
import { findBoxesAndScores } from './ssd.js';
import type { DecoderFamily, OutputSignature, OutputTensor, Recognition, RecognitionContext } from './types.js';

/** Largest query count taken for a DETR head from shapes alone (DINO uses 900); more boxes than this is an SSD-like head. */
const MAX_QUERIES = 1000;

type Form = { kind: 'pair'; boxes: number; logits: number; q: number; c: number } | { kind: 'single'; index: number; q: number; c: number };

function findForm(outputs: readonly OutputSignature[], numClasses: number | undefined, single: boolean): Form | undefined {
  const pair = findBoxesAndScores(outputs, numClasses);
  if (pair && !single) return { kind: 'pair', boxes: pair.boxes, logits: pair.scores, q: pair.n, c: pair.c };
  if (!single) return undefined;
  for (let index = 0; index < outputs.length; index++) {
    const d = withoutBatch(outputs[index]!.dims, 2);
    if (d && outputs[index]!.dims.length === 3 && d[0] !== undefined && d[1] !== undefined && d[1] > 4) return { kind: 'single', index, q: d[0], c: d[1] - 4 };
  }
  return undefined;
}

function defaultsFor(c: number, given: DecoderParams): DecoderParams {
  const detr92 = c === 92;
  return {
    activation: param.text(given, 'activation') ?? (detr92 ? 'softmax' : 'sigmoid'),
    background: param.text(given, 'background') ?? (detr92 ? 'last' : 'none'),
    ...(detr92 && param.text(given, 'class-map') === undefined ? { 'class-map': 'coco91' } : {}),
  };
}

function recognise(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Recognition {
  const single = param.text(given, 'form') === 'single';
  const form = findForm(outputs, param.number(given, 'classes') ?? ctx.numClasses, single);
  if (!form) return { fits: false, reason: single ? 'no [1,Q,4+C] output' : 'no [1,Q,4] box output beside a [1,Q,C] logits output' };
  if (form.q > MAX_QUERIES && !ctx.requested) return { fits: false, reason: `${form.q} boxes is more than a DETR head's queries` };
  const defaults = defaultsFor(form.c, given);
  const numClasses = form.c - (defaults.background === 'none' ? 0 : 1);
  const shape = form.kind === 'pair' ? `${shapeText(outputs[form.boxes]!.dims)} + ${shapeText(outputs[form.logits]!.dims)}` : shapeText(outputs[form.index]!.dims);
  return {
    fits: true,
    params: { ...given, ...defaults, form: form.kind, classes: defaults['class-map'] === 'coco91' ? 80 : numClasses },
    variant: `${form.q} queries, ${shape}`,
    evidence: 'shape',
  };
}

function scoreOf(activation: string, logits: Table): (r: number, c: number) => number {
  if (activation === 'softmax') return rowSoftmax(logits);
  return activation === 'sigmoid' ? (r, c) => sigmoid(logits.at(r, c)) : (r, c) => logits.at(r, c);
}

export const detr: DecoderFamily = {
  name: 'detr',
  summary: 'query boxes (cx,cy,w,h normalised) + class logits, no NMS (DETR, RT-DETR): [1,Q,4] + [1,Q,C] or form=single [1,Q,4+C]',
  params: {
    form: { kind: 'enum', values: ['pair', 'single'], help: 'pair: boxes and logits as two outputs (default); single: one [1,Q,4+C] output, boxes first' },
    activation: { kind: 'enum', values: ['sigmoid', 'softmax', 'none'], help: 'score activation (default: softmax for DETR\'s 92 logits, else sigmoid)' },
    background: { kind: 'enum', values: ['none', 'last', 'first'], help: 'the "no object" column (default: last for 92 logits, else none)' },
  },
  nmsInside: true,
  validatorIou: 0.7,
  preprocess: { resize: 'stretch', pad: 0, color: 'rgb', scale: 1 / 255, mean: IMAGENET_MEAN, std: IMAGENET_STD, layout: 'nchw' },
  recognise,
  decode(outputs: readonly OutputTensor[], params, ctx, options, out) {
    const form = findForm(outputs, undefined, param.text(params, 'form') === 'single')!;
    const background = param.text(params, 'background') ?? 'none';
    let boxes: Table;
    let logits: Table;
    let logitStart = 0;
    if (form.kind === 'pair') {
      boxes = rowsOf(outputs[form.boxes]!)!;
      logits = rowsOf(outputs[form.logits]!)!;
    } else {
      boxes = rowsOf(outputs[form.index]!)!;
      logits = boxes;
      logitStart = 4;
    }
    const raw = scoreOf(param.text(params, 'activation') ?? 'sigmoid', form.kind === 'pair' ? logits : { rows: logits.rows, cols: form.c, at: (r, c) => logits.at(r, c + logitStart) });
    const first = background === 'first' ? 1 : 0;
    const numClasses = form.c - (background === 'none' ? 0 : 1);
    const W = ctx.inputWidth;
    const H = ctx.inputHeight;
    for (let r = 0; r < boxes.rows; r++) {
      const cx = boxes.at(r, 0) * W;
      const cy = boxes.at(r, 1) * H;
      const w = boxes.at(r, 2) * W;
      const h = boxes.at(r, 3) * H;
      out.pushClasses([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1, numClasses, (c) => raw(r, c + first), options.confThreshold, options.multiLabel ?? false);
    }
    return 'input';
  },
};
