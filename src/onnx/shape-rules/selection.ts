import { getIntAttribute } from '../builder.js';
import { DataType } from '../types.js';
import { normalizeAxis } from './dims.js';
import { invalidShape, type Dim, type OutputInfo, type ShapeRule } from './types.js';

/**
 * Ops that pick or place elements by index — the post-processing of detectors with NMS or top-k inside the graph.
 * Their sizes often depend on the data (a fresh symbol); their element types never do, and quantization and FP16
 * conversion need those types (indices are int64, not float).
 */

/** TopK: values like X and int64 indices, with K elements along `axis` (K is input 1 from opset 10, else an attribute). */
const topK: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined, undefined];
  const axis = normalizeAxis(ctx, getIntAttribute(ctx.node, 'axis', -1), x.shape.length);
  const k = ctx.opset >= 10 ? ctx.value(1)?.[0] : getIntAttribute(ctx.node, 'k');
  const shape: Dim[] = [...x.shape];
  shape[axis] = k ?? ctx.symbol();
  return [{ dataType: x.dataType, shape }, { dataType: DataType.INT64, shape: [...shape] }];
};

/** NonZero: int64 [rank, number of non-zeros]. */
const nonZero: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [{ dataType: DataType.INT64, shape: [x ? x.shape.length : ctx.symbol(), ctx.symbol()] }];
};

/** NonMaxSuppression: int64 [selected boxes, 3] rows of (batch, class, box). */
const nonMaxSuppression: ShapeRule = (ctx) => [{ dataType: DataType.INT64, shape: [ctx.symbol(), 3] }];

/** GatherElements: the indices' shape, the data's type. */
const gatherElements: ShapeRule = (ctx) => {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  return [data && indices ? { dataType: data.dataType, shape: [...indices.shape] } : undefined];
};

/** GatherND: indices.shape[:-1] + data.shape[batch_dims + indices.shape[-1]:]. */
const gatherND: ShapeRule = (ctx) => {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  if (!data || !indices || indices.shape.length === 0) return [undefined];
  const depth = indices.shape[indices.shape.length - 1];
  if (typeof depth !== 'number') return [undefined];
  const batchDims = getIntAttribute(ctx.node, 'batch_dims', 0);
  if (batchDims + depth > data.shape.length) throw invalidShape(ctx, `index depth ${depth} exceeds the data's rank ${data.shape.length}`);
  return [{ dataType: data.dataType, shape: [...indices.shape.slice(0, -1), ...data.shape.slice(batchDims + depth)] }];
};

/** Scatter ops write into a copy of the data: same type and shape. */
const scatter: ShapeRule = (ctx) => {
  const data = ctx.input(0);
  return [data ? { dataType: data.dataType, shape: [...data.shape] } : undefined];
};

/** Range(start, limit, delta): ceil((limit − start) / delta) elements of start's type; values when small and known. */
const range: ShapeRule = (ctx) => {
  const start = ctx.input(0);
  const [s, l, d] = [ctx.value(0)?.[0], ctx.value(1)?.[0], ctx.value(2)?.[0]];
  const dataType = start?.dataType ?? 0;
  if (s === undefined || l === undefined || d === undefined || d === 0) return [{ dataType, shape: [ctx.symbol()] }];
  const count = Math.max(0, Math.ceil((l - s) / d));
  const out: OutputInfo = { dataType, shape: [count] };
  if (count <= 1024) out.value = Array.from({ length: count }, (_, i) => s + i * d);
  return [out];
};

/** OneHot(indices, depth, values): the indices' shape with `depth` inserted at `axis`, the values' type. */
const oneHot: ShapeRule = (ctx) => {
  const indices = ctx.input(0);
  const values = ctx.input(2);
  if (!indices || !values) return [undefined];
  const rank = indices.shape.length + 1;
  const axis = normalizeAxis(ctx, getIntAttribute(ctx.node, 'axis', -1), rank);
  const depth = ctx.value(1)?.[0];
  const shape: Dim[] = [...indices.shape];
  shape.splice(axis, 0, depth === undefined ? ctx.symbol() : Math.trunc(depth));
  return [{ dataType: values.dataType, shape }];
};

/** Compress and Unique keep the data's type; how many elements survive depends on the data. */
const compress: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const axisAttr = getIntAttribute(ctx.node, 'axis');
  if (axisAttr === undefined) return [{ dataType: x.dataType, shape: [ctx.symbol()] }];
  const axis = normalizeAxis(ctx, axisAttr, x.shape.length);
  return [{ dataType: x.dataType, shape: x.shape.map((d, i) => (i === axis ? ctx.symbol() : d)) }];
};

export const selectionRules: Record<string, ShapeRule> = {
  TopK: topK,
  NonZero: nonZero,
  NonMaxSuppression: nonMaxSuppression,
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterND: scatter,
  ScatterElements: scatter,
  Scatter: scatter,
  Range: range,
  OneHot: oneHot,
  Compress: compress,
};
