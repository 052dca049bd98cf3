import { getIntAttribute, getIntsAttribute } from '../builder.js';
import { formatShape, normalizeAxis } from './dims.js';
import { invalidShape, type Dim, type OutputInfo, type ShapeContext, type ShapeRule, type TensorType } from './types.js';

function concatShapes(ctx: ShapeContext, inputs: Array<TensorType | undefined>): OutputInfo | undefined {
  if (inputs.length === 0 || inputs.some((t) => t === undefined)) return undefined;
  const types = inputs as TensorType[];
  const rank = types[0]!.shape.length;
  const axis = normalizeAxis(ctx, getIntAttribute(ctx.node, 'axis', 0), rank);
  const shape: Dim[] = [...types[0]!.shape];
  let total: Dim = 0;
  for (const t of types) {
    if (t.shape.length !== rank) throw invalidShape(ctx, `inputs ${types.map((u) => formatShape(u.shape)).join(', ')} differ in rank`);
    t.shape.forEach((d, i) => {
      if (i === axis) return;
      const seen = shape[i]!;
      if (typeof seen === 'number' && typeof d === 'number' && seen !== d) {
        throw invalidShape(ctx, `inputs ${types.map((u) => formatShape(u.shape)).join(', ')} differ outside axis ${axis}`);
      }
      if (typeof seen !== 'number') shape[i] = d;
    });
    const d = t.shape[axis]!;
    total = typeof total === 'number' && typeof d === 'number' ? total + d : ctx.symbol();
  }
  shape[axis] = total;
  return { dataType: types[0]!.dataType, shape };
}

const concat: ShapeRule = (ctx) => {
  const indices = ctx.node.input.map((_, i) => i).filter((i) => ctx.has(i));
  const out = concatShapes(ctx, indices.map((i) => ctx.input(i)));
  if (!out) return [undefined];
  // Torch exports build Reshape targets by concatenating 1-D shape pieces.
  const values = indices.map((i) => ctx.value(i));
  if (out.shape.length === 1 && values.every((v) => v !== undefined)) out.value = values.flat() as number[];
  return [out];
};

/** com.microsoft QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) triples. */
const qlinearConcat: ShapeRule = (ctx) => {
  const inputs: Array<TensorType | undefined> = [];
  for (let i = 2; i < ctx.node.input.length; i += 3) inputs.push(ctx.input(i));
  const out = concatShapes(ctx, inputs);
  if (out) out.dataType = ctx.input(1)?.dataType ?? out.dataType;
  return [out];
};

/** Split sizes come from input 1 (opset 13+), the `split` attribute, `num_outputs` (18+) or equal parts. */
const split: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const count = ctx.node.output.length;
  if (!x) return new Array(count).fill(undefined);
  const axis = normalizeAxis(ctx, getIntAttribute(ctx.node, 'axis', 0), x.shape.length);
  const size = x.shape[axis]!;
  let parts: Dim[] | undefined = (ctx.opset >= 13 && ctx.has(1) ? ctx.value(1) : undefined) ?? getIntsAttribute(ctx.node, 'split');
  if (ctx.opset >= 13 && ctx.has(1) && !ctx.value(1)) parts = ctx.node.output.map(() => ctx.symbol());
  if (!parts) {
    if (typeof size !== 'number') parts = ctx.node.output.map(() => ctx.symbol());
    else {
      const numOutputs = getIntAttribute(ctx.node, 'num_outputs');
      // num_outputs: ceil-sized chunks, the last one takes what is left; otherwise sizes must divide evenly.
      const chunk = numOutputs !== undefined ? Math.ceil(size / numOutputs) : size / count;
      if (!Number.isInteger(chunk)) throw invalidShape(ctx, `axis of size ${size} does not split into ${count} equal parts`);
      parts = ctx.node.output.map((_, i) => Math.max(0, Math.min(chunk, size - chunk * i)));
    }
  } else if (typeof size === 'number' && parts.every((p) => typeof p === 'number')) {
    const sum = (parts as number[]).reduce((a, b) => a + b, 0);
    if (sum !== size) throw invalidShape(ctx, `split sizes [${parts.join(',')}] do not add up to ${size}`);
  }
  if (parts.length !== count) throw invalidShape(ctx, `${parts.length} split sizes for ${count} outputs`);
  return parts.map((p) => {
    const shape = [...x.shape];
    shape[axis] = p;
    return { dataType: x.dataType, shape };
  });
};

export const concatSplitRules: Record<string, ShapeRule> = {
  Concat: concat,
  QLinearConcat: qlinearConcat,
  Split: split,
};
