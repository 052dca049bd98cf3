import { getAttribute, getIntsAttribute, getStringAttribute } from '../builder.js';
import { normalizeAxis } from './dims.js';
import { invalidShape, type Dim, type ShapeContext, type ShapeRule } from './types.js';

/**
 * Resize/Upsample output sizes: floor(in × scale) from `scales`, or `sizes` directly. Where the
 * scales live moved over opsets: an attribute (Upsample-7), input 1 (Resize-10, Upsample-9), input 2
 * with `sizes` as input 3 (Resize-11+). An empty tensor means "not given".
 */
function resizeRule(ctx: ShapeContext, scalesIndex: number, sizesIndex: number | undefined): ReturnType<ShapeRule> {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const rank = x.shape.length;
  const axesAttr = getIntsAttribute(ctx.node, 'axes');
  const axes = axesAttr ? axesAttr.map((a) => normalizeAxis(ctx, a, rank)) : x.shape.map((_, i) => i);
  const attrScales = getAttribute(ctx.node, 'scales');
  const scales = Array.isArray(attrScales) && attrScales.length > 0 ? (attrScales as number[]) : nonEmpty(ctx.value(scalesIndex));
  const sizes = sizesIndex === undefined ? undefined : nonEmpty(ctx.value(sizesIndex));
  const shape: Dim[] = [...x.shape];
  if (sizes) {
    if (sizes.length !== axes.length) throw invalidShape(ctx, `${sizes.length} sizes for ${axes.length} axes`);
    const policy = getStringAttribute(ctx.node, 'keep_aspect_ratio_policy') ?? 'stretch';
    if (policy === 'stretch') {
      axes.forEach((axis, i) => (shape[axis] = sizes[i]!));
      return [{ dataType: x.dataType, shape }];
    }
    // not_larger / not_smaller: one scale for all axes, then rounded sizes.
    const inputs = axes.map((a) => x.shape[a]);
    if (!inputs.every((d): d is number => typeof d === 'number')) return [{ dataType: x.dataType, shape: shape.map((d, i) => (axes.includes(i) ? ctx.symbol() : d)) }];
    const ratios = sizes.map((s, i) => s / inputs[i]!);
    const scale = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    axes.forEach((axis, i) => (shape[axis] = Math.round(inputs[i]! * scale)));
    return [{ dataType: x.dataType, shape }];
  }
  if (scales) {
    if (scales.length !== axes.length) throw invalidShape(ctx, `${scales.length} scales for ${axes.length} axes`);
    axes.forEach((axis, i) => {
      const d = x.shape[axis]!;
      shape[axis] = typeof d === 'number' ? Math.floor(d * scales[i]!) : ctx.symbol();
    });
    return [{ dataType: x.dataType, shape }];
  }
  // Scales or sizes computed at run time: the rank and element type still hold.
  return [{ dataType: x.dataType, shape: shape.map((d, i) => (axes.includes(i) ? ctx.symbol() : d)) }];
}

function nonEmpty(values: number[] | undefined): number[] | undefined {
  return values && values.length > 0 ? values : undefined;
}

export const resizeRules: Record<string, ShapeRule> = {
  Resize: (ctx) => (ctx.opset >= 11 ? resizeRule(ctx, 2, 3) : resizeRule(ctx, 1, undefined)),
  Upsample: (ctx) => resizeRule(ctx, 1, undefined),
};
