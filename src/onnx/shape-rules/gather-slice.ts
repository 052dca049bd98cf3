import { getIntAttribute, getIntsAttribute } from '../builder.js';
import { normalizeAxis } from './dims.js';
import { invalidShape, type Dim, type OutputInfo, type ShapeContext, type ShapeRule } from './types.js';

const gather: ShapeRule = (ctx) => {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  if (!data || !indices) return [undefined];
  const axis = normalizeAxis(ctx, getIntAttribute(ctx.node, 'axis', 0), data.shape.length);
  const out: OutputInfo = {
    dataType: data.dataType,
    shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)],
  };
  // Shape→Gather picks dims out of a shape vector; follow the numbers.
  const values = ctx.value(0);
  const picks = ctx.value(1);
  if (values && picks && data.shape.length === 1) {
    const n = values.length;
    if (picks.some((p) => p < -n || p >= n)) throw invalidShape(ctx, `index out of range for ${n} values`);
    out.value = picks.map((p) => values[p < 0 ? p + n : p]!);
  }
  return [out];
};

/** Number of elements a Slice keeps along one axis, with the spec's clamping of starts and ends. */
export function sliceLength(size: number, start: number, end: number, step: number): number {
  if (step === 0) return NaN;
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), size);
    end = Math.min(Math.max(end, 0), size);
    return Math.max(0, Math.ceil((end - start) / step));
  }
  start = Math.min(Math.max(start, 0), size - 1);
  end = Math.min(Math.max(end, -1), size - 1);
  return Math.max(0, Math.ceil((end - start) / step));
}

/** Slice bounds are attributes before opset 10 and inputs 1–4 after. */
const slice: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const fromInputs = ctx.opset >= 10;
  const starts = fromInputs ? ctx.value(1) : getIntsAttribute(ctx.node, 'starts');
  const ends = fromInputs ? ctx.value(2) : getIntsAttribute(ctx.node, 'ends');
  const axesGiven = fromInputs ? ctx.has(3) : true;
  const axes = fromInputs ? (axesGiven ? ctx.value(3) : undefined) : getIntsAttribute(ctx.node, 'axes');
  const steps = fromInputs && ctx.has(4) ? ctx.value(4) : undefined;
  const rank = x.shape.length;
  if (!starts || !ends || (axesGiven && fromInputs && !axes) || (fromInputs && ctx.has(4) && !steps)) {
    return [{ dataType: x.dataType, shape: x.shape.map(() => ctx.symbol()) }];
  }
  if (starts.length !== ends.length) throw invalidShape(ctx, `${starts.length} starts but ${ends.length} ends`);
  const shape: Dim[] = [...x.shape];
  const sliced = new Map<number, [number, number, number]>();
  starts.forEach((start, i) => {
    const axis = normalizeAxis(ctx, axes?.[i] ?? i, rank);
    const step = steps?.[i] ?? 1;
    if (step === 0) throw invalidShape(ctx, 'slice step is 0');
    sliced.set(axis, [start, ends[i]!, step]);
    const size = x.shape[axis]!;
    shape[axis] = typeof size === 'number' ? sliceLength(size, start, ends[i]!, step) : ctx.symbol();
  });
  const out: OutputInfo = { dataType: x.dataType, shape };
  const values = ctx.value(0);
  const bounds = sliced.get(0);
  if (values && rank === 1 && bounds) out.value = sliceValues(values, ...bounds);
  else if (values && rank === 1) out.value = values;
  return [out];
};

function sliceValues(values: number[], start: number, end: number, step: number): number[] {
  const n = values.length;
  const count = sliceLength(n, start, end, step);
  let first = start < 0 ? start + n : start;
  first = step > 0 ? Math.min(Math.max(first, 0), n) : Math.min(Math.max(first, 0), n - 1);
  return Array.from({ length: count }, (_, i) => values[first + i * step]!);
}

export const gatherSliceRules: Record<string, ShapeRule> = {
  Gather: gather,
  Slice: slice,
};
