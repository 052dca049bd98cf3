/**
 * `ssd`: one box per prior and a score vector per box, as two outputs [1,N,4] + [1,N,C] (SSD, SSDLite, RetinaNet-
 * style exports without NMS). Boxes are either already decoded (corners or centre form, pixels or normalised) or
 * offsets against the standard SSD priors, which are generated from steps, min/max sizes and aspect ratios.
 * Scores may carry a background class (first by default, as SSD trains it).
 */
import { EdgeoptError } from '../../util/errors.js';
import { param, type DecoderParams } from './params.js';
import { rowSoftmax, rowsOf, shapeText, sigmoid, withoutBatch, type Table } from './tensor.js';
import type { DecoderFamily, OutputSignature, OutputTensor, Recognition, RecognitionContext } from './types.js';

/** The [N,4] box output and the [N,C] score output with the same N. */
export function findBoxesAndScores(outputs: readonly OutputSignature[], numClasses?: number): { boxes: number; scores: number; n: number; c: number } | undefined {
  const tables = outputs.map((o) => (o.dims.length >= 2 ? withoutBatch(o.dims, 2) : undefined));
  for (let b = 0; b < outputs.length; b++) {
    const bd = tables[b];
    if (!bd || bd[1] !== 4 || bd[0] === undefined) continue;
    for (let s = 0; s < outputs.length; s++) {
      const sd = tables[s];
      if (s === b || !sd || sd[0] !== bd[0] || sd[1] === undefined || sd[1] < 1) continue;
      if (sd[1] === 4 && numClasses !== 4) continue;
      return { boxes: b, scores: s, n: bd[0], c: sd[1] };
    }
  }
  return undefined;
}

/** Prior boxes [cx, cy, w, h], normalised to the input, in SSD's order: level, cell (row-major), then box shape. */
export function ssdPriors(params: DecoderParams, width: number, height: number): Float64Array {
  const steps = param.list(params, 'steps');
  const minSizes = param.list(params, 'min-sizes');
  const maxSizes = param.list(params, 'max-sizes');
  const ratios = param.levels(params, 'ratios') ?? param.list(params, 'ratios')?.map((r) => [r]);
  if (!steps || !minSizes || !ratios) throw new EdgeoptError('--decoder ssd,priors=ssd needs steps=, min-sizes= and ratios= (max-sizes= optional)');
  if (minSizes.length !== steps.length || (maxSizes && maxSizes.length !== steps.length) || (ratios.length !== steps.length && ratios.length !== 1)) {
    throw new EdgeoptError('--decoder ssd: steps, min-sizes, max-sizes and ratios need one entry per level (ratios: levels separated by /)');
  }
  const out: number[] = [];
  steps.forEach((step, k) => {
    const cols = Math.ceil(width / step);
    const rows = Math.ceil(height / step);
    const sw = minSizes[k]! / width;
    const sh = minSizes[k]! / height;
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const cx = ((j + 0.5) * step) / width;
        const cy = ((i + 0.5) * step) / height;
        out.push(cx, cy, sw, sh);
        if (maxSizes) {
          const s = Math.sqrt(minSizes[k]! * maxSizes[k]!);
          out.push(cx, cy, s / width, s / height);
        }
        for (const r of ratios[ratios.length === 1 ? 0 : k]!) {
          const q = Math.sqrt(r);
          out.push(cx, cy, sw * q, sh / q, cx, cy, sw / q, sh * q);
        }
      }
    }
  });
  return Float64Array.from(out);
}

function recognise(outputs: readonly OutputSignature[], ctx: RecognitionContext, given: DecoderParams): Recognition {
  const hint = param.number(given, 'classes') ?? ctx.numClasses;
  const found = findBoxesAndScores(outputs, hint);
  if (!found) return { fits: false, reason: 'no [N,4] box output beside an [N,C] score output' };
  const background = param.text(given, 'background') ?? 'first';
  const numClasses = found.c - (background === 'none' ? 0 : 1);
  if (numClasses < 1) return { fits: false, reason: `${found.c} score columns leave no class besides the background` };
  if (hint !== undefined && hint !== numClasses) {
    return { fits: false, reason: `${found.c} score columns${background === 'none' ? '' : ' with a background class'} is ${numClasses} classes, not ${hint}` };
  }
  if (param.text(given, 'priors') === 'ssd') {
    const priors = ssdPriors(given, ctx.inputWidth, ctx.inputHeight).length / 4;
    if (priors !== found.n) return { fits: false, reason: `the given prior settings make ${priors} priors, but the outputs have ${found.n} boxes` };
  }
  return {
    fits: true,
    params: { ...given, classes: numClasses, background, priors: param.text(given, 'priors') ?? 'none' },
    variant: `boxes ${shapeText(outputs[found.boxes]!.dims)} + scores ${shapeText(outputs[found.scores]!.dims)}${param.text(given, 'priors') === 'ssd' ? ', offsets against SSD priors' : ', boxes decoded'}`,
    evidence: 'shape',
    assumptions: ctx.requested || param.text(given, 'background') ? [] : ['background class first assumed (pass background=none|last otherwise)'],
  };
}

/** Whether decoded boxes look normalised: every coordinate within [-0.5, 1.5]. */
function looksNormalised(t: Table): boolean {
  for (let r = 0; r < t.rows; r++) for (let c = 0; c < 4; c++) if (Math.abs(t.at(r, c) - 0.5) > 1) return false;
  return true;
}

function scoreFunction(mode: string, background: string, scores: Table): (r: number, c: number) => number {
  let outside = false;
  for (let r = 0; r < scores.rows && !outside; r++) for (let c = 0; c < scores.cols; c++) if (scores.at(r, c) < 0 || scores.at(r, c) > 1) outside = true;
  const activation = mode === 'auto' ? (outside ? (background === 'none' ? 'sigmoid' : 'softmax') : 'none') : mode;
  if (activation === 'sigmoid') return (r, c) => sigmoid(scores.at(r, c));
  if (activation === 'softmax') return rowSoftmax(scores);
  return (r, c) => scores.at(r, c);
}

export const ssd: DecoderFamily = {
  name: 'ssd',
  summary: 'boxes + scores per prior ([1,N,4] + [1,N,C]), decoded or offsets against generated SSD priors, background class first by default',
  params: {
    box: { kind: 'enum', values: ['xyxy', 'yxyx', 'cxcywh'], help: 'order of decoded box values (default xyxy; TensorFlow exports use yxyx)' },
    normalized: { kind: 'enum', values: ['auto', 'true', 'false'], help: 'decoded boxes in 0–1 of the input (auto: when every value is within [-0.5,1.5])' },
    priors: { kind: 'enum', values: ['none', 'ssd'], help: 'none: boxes are decoded; ssd: offsets against SSD priors made from steps/min-sizes/max-sizes/ratios' },
    steps: { kind: 'list', help: 'prior steps per level in input pixels, e.g. 8:16:32:64:100:300' },
    'min-sizes': { kind: 'list', help: 'prior min size per level in input pixels' },
    'max-sizes': { kind: 'list', help: 'prior max size per level (adds the sqrt(min·max) box)' },
    ratios: { kind: 'levels', help: 'aspect ratios per level, e.g. 2/2:3/2:3/2:3/2/2 (each adds r and 1/r)' },
    variance: { kind: 'list', help: 'centre and size variances of the prior encoding (default 0.1:0.2)' },
    background: { kind: 'enum', values: ['first', 'last', 'none'], help: 'which score column is the background class (default first)' },
    activation: { kind: 'enum', values: ['auto', 'softmax', 'sigmoid', 'none'], help: 'score activation (auto: none when scores are in [0,1], else softmax, or sigmoid without background)' },
  },
  nmsInside: false,
  validatorIou: 0.5,
  preprocess: { resize: 'stretch', pad: 0, color: 'rgb', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1], layout: 'nchw' },
  recognise,
  decode(outputs: readonly OutputTensor[], params, ctx, options, out) {
    const found = findBoxesAndScores(outputs, param.number(params, 'classes'))!;
    const boxes = rowsOf(outputs[found.boxes]!)!;
    const scoreTable = rowsOf(outputs[found.scores]!)!;
    const background = param.text(params, 'background') ?? 'first';
    const score = scoreFunction(param.text(params, 'activation') ?? 'auto', background, scoreTable);
    const first = background === 'first' ? 1 : 0;
    const numClasses = scoreTable.cols - (background === 'none' ? 0 : 1);
    const W = ctx.inputWidth;
    const H = ctx.inputHeight;
    const priors = param.text(params, 'priors') === 'ssd' ? ssdPriors(params, W, H) : undefined;
    const [v0, v1] = param.list(params, 'variance') ?? [0.1, 0.2];
    const order = param.text(params, 'box') ?? 'xyxy';
    const normalised = priors !== undefined || (param.text(params, 'normalized') ?? 'auto') === 'true' || ((param.text(params, 'normalized') ?? 'auto') === 'auto' && looksNormalised(boxes));
    const sx = normalised ? W : 1;
    const sy = normalised ? H : 1;
    for (let r = 0; r < boxes.rows; r++) {
      let x1: number, y1: number, x2: number, y2: number;
      if (priors) {
        const pcx = priors[4 * r]!;
        const pcy = priors[4 * r + 1]!;
        const pw = priors[4 * r + 2]!;
        const ph = priors[4 * r + 3]!;
        const cx = pcx + boxes.at(r, 0) * v0! * pw;
        const cy = pcy + boxes.at(r, 1) * v0! * ph;
        const w = pw * Math.exp(boxes.at(r, 2) * v1!);
        const h = ph * Math.exp(boxes.at(r, 3) * v1!);
        [x1, y1, x2, y2] = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
      } else if (order === 'cxcywh') {
        const [cx, cy, w, h] = [boxes.at(r, 0), boxes.at(r, 1), boxes.at(r, 2), boxes.at(r, 3)];
        [x1, y1, x2, y2] = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
      } else if (order === 'yxyx') {
        [y1, x1, y2, x2] = [boxes.at(r, 0), boxes.at(r, 1), boxes.at(r, 2), boxes.at(r, 3)];
      } else {
        [x1, y1, x2, y2] = [boxes.at(r, 0), boxes.at(r, 1), boxes.at(r, 2), boxes.at(r, 3)];
      }
      out.pushClasses([x1 * sx, y1 * sy, x2 * sx, y2 * sy], 1, numClasses, (c) => score(r, c + first), options.confThreshold, options.multiLabel ?? false);
    }
    return 'input';
  },
};
