import { getIntAttribute, getIntsAttribute } from '../builder.js';
import { DataType } from '../types.js';
import { normalizeAxis } from './dims.js';
import type { Dim, ShapeContext, ShapeRule } from './types.js';

const REDUCE_OPS = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

/** Axes became input 1 for ReduceSum in opset 13 and for the other reductions in opset 18. */
function reduceAxes(ctx: ShapeContext): { axes?: number[]; unknown: boolean } {
  const fromInput = ctx.node.opType === 'ReduceSum' ? ctx.opset >= 13 : ctx.opset >= 18;
  if (!fromInput) return { axes: getIntsAttribute(ctx.node, 'axes'), unknown: false };
  if (!ctx.has(1)) return { unknown: false };
  const axes = ctx.value(1);
  return axes ? { axes, unknown: false } : { unknown: true };
}

const reduce: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const keepDims = getIntAttribute(ctx.node, 'keepdims', 1) === 1;
  const { axes, unknown } = reduceAxes(ctx);
  if (unknown) return [undefined];
  const rank = x.shape.length;
  let reduced: Set<number>;
  if (axes && axes.length > 0) reduced = new Set(axes.map((a) => normalizeAxis(ctx, a, rank)));
  else if (getIntAttribute(ctx.node, 'noop_with_empty_axes', 0) === 1) return [{ dataType: x.dataType, shape: x.shape }];
  else reduced = new Set(x.shape.map((_, i) => i));
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!reduced.has(i)) shape.push(d);
    else if (keepDims) shape.push(1);
  });
  return [{ dataType: x.dataType, shape }];
};

const argReduce: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const axis = normalizeAxis(ctx, getIntAttribute(ctx.node, 'axis', 0), x.shape.length);
  const keepDims = getIntAttribute(ctx.node, 'keepdims', 1) === 1;
  const shape = keepDims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  return [{ dataType: DataType.INT64, shape }];
};

export const reduceRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, reduce])),
  ArgMax: argReduce,
  ArgMin: argReduce,
};
