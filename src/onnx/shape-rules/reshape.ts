import { getIntAttribute, getIntsAttribute } from '../builder.js';
import { broadcastShapes, formatShape, knownProduct, normalizeAxis } from './dims.js';
import { invalidShape, type Dim, type OutputInfo, type ShapeContext, type ShapeRule } from './types.js';

/** Reshape: 0 copies the input dim (unless allowzero), -1 takes what is left. */
const reshape: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const target = ctx.value(1);
  if (!x) return [undefined];
  if (!target) {
    const rank = ctx.input(1)?.shape[0];
    return [typeof rank === 'number' ? { dataType: x.dataType, shape: Array.from({ length: rank }, () => ctx.symbol()) } : undefined];
  }
  const allowZero = getIntAttribute(ctx.node, 'allowzero', 0) === 1;
  const shape: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x.shape[i] ?? invalidDim(ctx, target)) : d));
  const inferred = shape.indexOf(-1);
  if (shape.indexOf(-1, inferred + 1) >= 0) throw invalidShape(ctx, `target shape [${target.join(',')}] has more than one -1`);
  const total = knownProduct(x.shape);
  const rest = knownProduct(shape.filter((_, i) => i !== inferred));
  if (inferred >= 0) {
    if (total === undefined || rest === undefined) shape[inferred] = ctx.symbol();
    else if (rest === 0 || total % rest !== 0) throw invalidShape(ctx, `cannot reshape ${formatShape(x.shape)} to [${target.join(',')}]`);
    else shape[inferred] = total / rest;
  } else if (total !== undefined && rest !== undefined && total !== rest) {
    throw invalidShape(ctx, `cannot reshape ${formatShape(x.shape)} (${total} elements) to [${target.join(',')}]`);
  }
  return [withValue({ dataType: x.dataType, shape }, ctx.value(0))];
};

function invalidDim(ctx: ShapeContext, target: number[]): never {
  throw invalidShape(ctx, `target shape [${target.join(',')}] copies a dim the input does not have`);
}

function withValue(out: OutputInfo, value: number[] | undefined): OutputInfo {
  if (value) out.value = value;
  return out;
}

const flatten: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const rank = x.shape.length;
  const raw = getIntAttribute(ctx.node, 'axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 0 || axis > rank) throw invalidShape(ctx, `axis ${raw} is out of range for rank ${rank}`);
  const outer = knownProduct(x.shape.slice(0, axis));
  const inner = knownProduct(x.shape.slice(axis));
  return [{ dataType: x.dataType, shape: [outer ?? ctx.symbol(), inner ?? ctx.symbol()] }];
};

const transpose: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const rank = x.shape.length;
  const perm = getIntsAttribute(ctx.node, 'perm') ?? x.shape.map((_, i) => rank - 1 - i);
  if (perm.length !== rank) throw invalidShape(ctx, `perm [${perm.join(',')}] does not fit rank ${rank}`);
  return [{ dataType: x.dataType, shape: perm.map((p) => x.shape[normalizeAxis(ctx, p, rank)]!) }];
};

/** Axes moved from an attribute to input 1 in opset 13. */
function axesOf(ctx: ShapeContext): number[] | undefined {
  return ctx.opset >= 13 ? (ctx.has(1) ? ctx.value(1) : undefined) : getIntsAttribute(ctx.node, 'axes');
}

const unsqueeze: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const axes = axesOf(ctx);
  if (!x || !axes) return [undefined];
  const rank = x.shape.length + axes.length;
  const inserted = new Set(axes.map((a) => normalizeAxis(ctx, a, rank)));
  const shape: Dim[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) shape.push(inserted.has(i) ? 1 : x.shape[next++]!);
  return [withValue({ dataType: x.dataType, shape }, ctx.value(0))];
};

const squeeze: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const axes = axesOf(ctx);
  const givenAxes = ctx.opset >= 13 ? ctx.has(1) : axes !== undefined;
  if (givenAxes && !axes) return [undefined];
  const rank = x.shape.length;
  const dropped = axes
    ? new Set(axes.map((a) => normalizeAxis(ctx, a, rank)))
    : new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  if (!axes && x.shape.some((d) => typeof d !== 'number')) return [undefined];
  for (const a of dropped) {
    const d = x.shape[a];
    if (typeof d === 'number' && d !== 1) throw invalidShape(ctx, `cannot squeeze axis ${a} of size ${d}`);
  }
  return [withValue({ dataType: x.dataType, shape: x.shape.filter((_, i) => !dropped.has(i)) }, ctx.value(0))];
};

const expand: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const target = ctx.value(1);
  if (!target) {
    const rank = ctx.input(1)?.shape[0];
    if (typeof rank !== 'number') return [undefined];
    return [{ dataType: x.dataType, shape: Array.from({ length: Math.max(rank, x.shape.length) }, () => ctx.symbol()) }];
  }
  return [{ dataType: x.dataType, shape: broadcastShapes(ctx, [x.shape, target]) }];
};

const tile: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const repeats = ctx.value(1);
  if (!x) return [undefined];
  if (!repeats) return [{ dataType: x.dataType, shape: x.shape.map(() => ctx.symbol()) }];
  if (repeats.length !== x.shape.length) throw invalidShape(ctx, `${repeats.length} repeats for rank ${x.shape.length}`);
  return [{ dataType: x.dataType, shape: x.shape.map((d, i) => (typeof d === 'number' ? d * repeats[i]! : ctx.symbol())) }];
};

export const reshapeRules: Record<string, ShapeRule> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Expand: expand,
  Tile: tile,
};
