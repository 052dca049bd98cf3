import { getIntAttribute, getIntsAttribute } from '../builder.js';
import { normalizeAxis } from './dims.js';
import { invalidShape, type Dim, type ShapeRule } from './types.js';

/** Pad: each axis grows by its begin and end pads (attribute before opset 11, input 1 after; `axes` input from 18). */
const pad: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const rank = x.shape.length;
  const pads = ctx.opset >= 11 ? ctx.value(1) : (getIntsAttribute(ctx.node, 'pads') ?? getIntsAttribute(ctx.node, 'paddings'));
  const axesGiven = ctx.opset >= 18 && ctx.has(3);
  const axes = axesGiven ? ctx.value(3)?.map((a) => normalizeAxis(ctx, a, rank)) : x.shape.map((_, i) => i);
  if (!pads || !axes) return [{ dataType: x.dataType, shape: x.shape.map(() => ctx.symbol()) }];
  if (pads.length !== 2 * axes.length) throw invalidShape(ctx, `${pads.length} pads for ${axes.length} axes`);
  const shape: Dim[] = [...x.shape];
  axes.forEach((axis, i) => {
    const d = shape[axis]!;
    shape[axis] = typeof d === 'number' ? d + pads[i]! + pads[i + axes.length]! : ctx.symbol();
  });
  return [{ dataType: x.dataType, shape }];
};

/** DepthToSpace / SpaceToDepth move blocksize² channels into (or out of) the spatial dims. */
function blockRule(toSpace: boolean): ShapeRule {
  return (ctx) => {
    const x = ctx.input(0);
    if (!x || x.shape.length !== 4) return [undefined];
    const b = getIntAttribute(ctx.node, 'blocksize', 1);
    const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
    const scale = (d: Dim, f: number): Dim => (typeof d === 'number' ? d * f : ctx.symbol());
    const divide = (d: Dim, f: number): Dim => {
      if (typeof d !== 'number') return ctx.symbol();
      if (d % f !== 0) throw invalidShape(ctx, `dim ${d} is not divisible by ${f}`);
      return d / f;
    };
    const shape = toSpace ? [n, divide(c, b * b), scale(h, b), scale(w, b)] : [n, scale(c, b * b), divide(h, b), divide(w, b)];
    return [{ dataType: x.dataType, shape }];
  };
}

export const padRules: Record<string, ShapeRule> = {
  Pad: pad,
  DepthToSpace: blockRule(true),
  SpaceToDepth: blockRule(false),
};
