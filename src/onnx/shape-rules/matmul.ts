import { getIntAttribute } from '../builder.js';
import { DataType } from '../types.js';
import { broadcastShapes, formatShape } from './dims.js';
import { invalidShape, type Dim, type ShapeContext, type ShapeRule } from './types.js';

/** numpy.matmul shape rule: 1-D operands are promoted and the promoted dim dropped again. */
export function matmulShape(ctx: ShapeContext, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) throw invalidShape(ctx, 'MatMul operands must not be scalars');
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw invalidShape(ctx, `inner dims of ${formatShape(a)} and ${formatShape(b)} differ`);
  }
  const batch = broadcastShapes(ctx, [a2.slice(0, -2), b2.slice(0, -2)]);
  const shape = [...batch];
  if (a.length > 1) shape.push(a2[a2.length - 2]!);
  if (b.length > 1) shape.push(b2[b2.length - 1]!);
  return shape;
}

function matmulRule(aIndex: number, bIndex: number, outType: (ctx: ShapeContext) => number | undefined): ShapeRule {
  return (ctx) => {
    const a = ctx.input(aIndex);
    const b = ctx.input(bIndex);
    if (!a || !b) return [undefined];
    return [{ dataType: outType(ctx) ?? a.dataType, shape: matmulShape(ctx, a.shape, b.shape) }];
  };
}

const gemm: ShapeRule = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (!a || !b) return [undefined];
  if (a.shape.length !== 2 || b.shape.length !== 2) throw invalidShape(ctx, `Gemm needs 2-D operands, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [m, ka] = getIntAttribute(ctx.node, 'transA', 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = getIntAttribute(ctx.node, 'transB', 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
    throw invalidShape(ctx, `inner dims of ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
  return [{ dataType: a.dataType, shape: [m, n] }];
};

export const matmulRules: Record<string, ShapeRule> = {
  MatMul: matmulRule(0, 1, () => undefined),
  MatMulInteger: matmulRule(0, 1, () => DataType.INT32),
  // QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
  QLinearMatMul: matmulRule(0, 3, (ctx) => ctx.input(7)?.dataType),
  // com.microsoft MatMulIntegerToFloat: A, B, a_scale, b_scale, ... → float.
  MatMulIntegerToFloat: matmulRule(0, 1, (ctx) => ctx.input(2)?.dataType ?? DataType.FLOAT),
  Gemm: gemm,
};
