import { getIntAttribute, getIntsAttribute, getStringAttribute } from '../builder.js';
import { DataType } from '../types.js';
import { formatShape } from './dims.js';
import { invalidShape, type Dim, type ShapeContext, type ShapeRule } from './types.js';

/** Spatial output sizes of a sliding window (Conv, pools), per the ONNX auto_pad / pads rules. */
export function windowOutputDims(
  ctx: ShapeContext,
  spatial: readonly Dim[],
  kernel: readonly number[],
  options: { ceilMode?: boolean } = {},
): Dim[] {
  const n = spatial.length;
  const strides = getIntsAttribute(ctx.node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = getIntsAttribute(ctx.node, 'dilations') ?? new Array<number>(n).fill(1);
  const pads = getIntsAttribute(ctx.node, 'pads') ?? new Array<number>(2 * n).fill(0);
  const autoPad = getStringAttribute(ctx.node, 'auto_pad') ?? 'NOTSET';
  if (kernel.length !== n) throw invalidShape(ctx, `kernel ${formatShape(kernel)} does not match ${n} spatial dims`);
  return spatial.map((size, i) => {
    if (typeof size !== 'number') return ctx.symbol();
    const stride = strides[i] ?? 1;
    const extent = ((kernel[i] ?? 1) - 1) * (dilations[i] ?? 1) + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / stride);
    const padded = autoPad === 'VALID' ? size : size + (pads[i] ?? 0) + (pads[i + n] ?? 0);
    if (padded < extent) throw invalidShape(ctx, `window of ${extent} does not fit padded size ${padded}`);
    if (!options.ceilMode) return Math.floor((padded - extent) / stride) + 1;
    let out = Math.ceil((padded - extent) / stride) + 1;
    // With ceil_mode the last window must start inside the input or its left padding.
    if ((out - 1) * stride >= size + (pads[i] ?? 0)) out -= 1;
    return out;
  });
}

/** Conv-like ops differ only in where X and W sit and what element type comes out. */
function convRule(xIndex: number, wIndex: number, outType: (ctx: ShapeContext) => number | undefined): ShapeRule {
  return (ctx) => {
    const x = ctx.input(xIndex);
    const w = ctx.input(wIndex);
    if (!x || !w) return [undefined];
    if (x.shape.length < 3 || x.shape.length !== w.shape.length) {
      throw invalidShape(ctx, `input ${formatShape(x.shape)} and weight ${formatShape(w.shape)} ranks do not fit`);
    }
    const group = getIntAttribute(ctx.node, 'group', 1);
    const cin = x.shape[1];
    const wcin = w.shape[1];
    if (typeof cin === 'number' && typeof wcin === 'number' && cin !== wcin * group) {
      throw invalidShape(ctx, `input has ${cin} channels but weight ${formatShape(w.shape)} with group ${group} expects ${wcin * group}`);
    }
    const kernel = getIntsAttribute(ctx.node, 'kernel_shape') ?? w.shape.slice(2);
    if (!kernel.every((k): k is number => typeof k === 'number')) return [undefined];
    const spatial = windowOutputDims(ctx, x.shape.slice(2), kernel);
    return [{ dataType: outType(ctx) ?? x.dataType, shape: [x.shape[0]!, w.shape[0]!, ...spatial] }];
  };
}

/** ConvTranspose: out = stride·(in−1) + output_padding + dilated kernel − pads (or output_shape). */
const convTranspose: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const w = ctx.input(1);
  if (!x || !w || x.shape.length < 3) return [undefined];
  const n = x.shape.length - 2;
  const group = getIntAttribute(ctx.node, 'group', 1);
  const cout = typeof w.shape[1] === 'number' ? w.shape[1] * group : ctx.symbol();
  const outputShape = getIntsAttribute(ctx.node, 'output_shape');
  if (outputShape && outputShape.length === n) return [{ dataType: x.dataType, shape: [x.shape[0]!, cout, ...outputShape] }];
  const kernel = getIntsAttribute(ctx.node, 'kernel_shape') ?? w.shape.slice(2);
  const strides = getIntsAttribute(ctx.node, 'strides') ?? new Array<number>(n).fill(1);
  const dilations = getIntsAttribute(ctx.node, 'dilations') ?? new Array<number>(n).fill(1);
  const pads = getIntsAttribute(ctx.node, 'pads') ?? new Array<number>(2 * n).fill(0);
  const outputPadding = getIntsAttribute(ctx.node, 'output_padding') ?? new Array<number>(n).fill(0);
  const autoPad = getStringAttribute(ctx.node, 'auto_pad') ?? 'NOTSET';
  const spatial = x.shape.slice(2).map((size, i): Dim => {
    const k = kernel[i];
    if (typeof size !== 'number' || typeof k !== 'number') return ctx.symbol();
    const stride = strides[i] ?? 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return size * stride;
    const full = stride * (size - 1) + (outputPadding[i] ?? 0) + (k - 1) * (dilations[i] ?? 1) + 1;
    return autoPad === 'VALID' ? full : full - (pads[i] ?? 0) - (pads[i + n] ?? 0);
  });
  return [{ dataType: x.dataType, shape: [x.shape[0]!, cout, ...spatial] }];
};

export const convRules: Record<string, ShapeRule> = {
  Conv: convRule(0, 1, () => undefined),
  ConvInteger: convRule(0, 1, () => DataType.INT32),
  // QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
  QLinearConv: convRule(0, 3, (ctx) => ctx.input(7)?.dataType),
  ConvTranspose: convTranspose,
};
