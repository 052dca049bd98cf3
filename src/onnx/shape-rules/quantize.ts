import { getIntAttribute } from '../builder.js';
import { DataType } from '../types.js';
import type { ShapeRule } from './types.js';

/** QuantizeLinear's output type is its zero point's (uint8 when absent), or output_dtype (opset 21). */
const quantizeLinear: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const dataType = ctx.input(2)?.dataType ?? getIntAttribute(ctx.node, 'output_dtype') ?? DataType.UINT8;
  return [{ dataType: dataType || DataType.UINT8, shape: x.shape }];
};

/** DequantizeLinear returns float32 (the scale's type from opset 19, which is float32 in practice). */
const dequantizeLinear: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  return [{ dataType: ctx.input(1)?.dataType ?? DataType.FLOAT, shape: x.shape }];
};

/** y (uint8, same shape), y_scale and y_zero_point (scalars). */
const dynamicQuantizeLinear: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [
    x ? { dataType: DataType.UINT8, shape: x.shape } : undefined,
    { dataType: DataType.FLOAT, shape: [] },
    { dataType: DataType.UINT8, shape: [] },
  ];
};

export const quantizeRules: Record<string, ShapeRule> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
};
