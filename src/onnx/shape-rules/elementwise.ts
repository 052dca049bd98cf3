import { DataType } from '../types.js';
import { isIntegerType } from './constant.js';
import { broadcastInputs } from './dims.js';
import type { OutputInfo, ShapeContext, ShapeRule } from './types.js';

/** Ops whose output has the input's shape and element type (extra inputs are parameters). */
const SAME_AS_INPUT = [
  'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Abs', 'Neg', 'Ceil', 'Floor', 'Round', 'Reciprocal', 'Erf', 'Sign',
  'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh',
  'Clip', 'LeakyRelu', 'HardSwish', 'HardSigmoid', 'Elu', 'Selu', 'Celu', 'ThresholdedRelu', 'Softplus', 'Softsign',
  'Mish', 'Gelu', 'FastGelu', 'QuickGelu', 'Shrink', 'Softmax', 'LogSoftmax', 'Hardmax',
  'BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'LpNormalization', 'LRN',
  'MeanVarianceNormalization', 'CumSum', 'Trilu',
  // com.microsoft quantized unary ops keep the quantized input's type.
  'QLinearSigmoid', 'QLinearLeakyRelu', 'QLinearSoftmax',
];

/** Binary or variadic ops with numpy broadcasting; the output takes the first input's type. */
const BROADCAST = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'Max', 'Min', 'Sum', 'Mean', 'PRelu', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor'];

/** Ops with a boolean result. */
const COMPARISON = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor'];
const BOOL_UNARY = ['Not', 'IsNaN', 'IsInf'];

const sameAsInput: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const out: Array<OutputInfo | undefined> = [x ? { dataType: x.dataType, shape: x.shape } : undefined];
  // BatchNormalization/Dropout carry optional extra outputs (training stats, mask) we do not model.
  for (let i = 1; i < ctx.node.output.length; i++) out.push(undefined);
  const values = ctx.value(0);
  if (out[0] && values && ctx.node.opType === 'Neg') out[0].value = values.map((v) => -v);
  return out;
};

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Max: Math.max,
  Min: Math.min,
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
};

/**
 * Elementwise arithmetic on small 1-D constants: torch exports compute Reshape targets with
 * Shape → Gather → Div/Mul → Concat, and the numbers must come out the other end.
 */
function evaluate(ctx: ShapeContext, out: OutputInfo): number[] | undefined {
  const f = ARITHMETIC[ctx.node.opType ?? ''];
  const a = ctx.value(0);
  const b = ctx.value(1);
  if (!f || !a || !b || ctx.node.input.length !== 2 || out.shape.length > 1) return undefined;
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) return undefined;
  const integer = isIntegerType(out.dataType);
  return Array.from({ length: n }, (_, i) => {
    const r = f(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!);
    return integer ? Math.trunc(r) : r;
  });
}

const broadcast: ShapeRule = (ctx) => {
  const indices = ctx.node.input.map((_, i) => i).filter((i) => ctx.has(i));
  const out: OutputInfo | undefined = broadcastInputs(ctx, indices);
  if (!out) return [undefined];
  const value = evaluate(ctx, out);
  if (value) out.value = value;
  return [out];
};

const comparison: ShapeRule = (ctx) => {
  const out: OutputInfo | undefined = broadcastInputs(ctx, [0, 1]);
  if (!out) return [undefined];
  const value = evaluate(ctx, out);
  out.dataType = DataType.BOOL;
  if (value) out.value = value;
  return [out];
};

const boolUnary: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [x ? { dataType: DataType.BOOL, shape: x.shape } : undefined];
};

/** Where(cond, x, y): all three broadcast, the values' type comes out. */
const where: ShapeRule = (ctx) => {
  const out: OutputInfo | undefined = broadcastInputs(ctx, [0, 1, 2], 1);
  if (!out) return [undefined];
  const [c, x, y] = [ctx.value(0), ctx.value(1), ctx.value(2)];
  if (c && x && y && out.shape.length <= 1) {
    const n = Math.max(c.length, x.length, y.length);
    const at = (v: number[], i: number) => v[v.length === 1 ? 0 : i]!;
    if ([c, x, y].every((v) => v.length === 1 || v.length === n)) out.value = Array.from({ length: n }, (_, i) => (at(c, i) ? at(x, i) : at(y, i)));
  }
  return [out];
};

/** Dropout: output 0 like the input, optional mask output is bool. */
const dropout: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined, undefined];
  return [{ dataType: x.dataType, shape: x.shape }, { dataType: DataType.BOOL, shape: x.shape }];
};

/** com.microsoft QLinearAdd/QLinearMul: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp. */
const qlinearBinary: ShapeRule = (ctx) => [broadcastInputs(ctx, [0, 3])];

export const elementwiseRules: Record<string, ShapeRule> = {
  ...Object.fromEntries(SAME_AS_INPUT.map((op) => [op, sameAsInput])),
  ...Object.fromEntries(BROADCAST.map((op) => [op, broadcast])),
  ...Object.fromEntries(COMPARISON.map((op) => [op, comparison])),
  ...Object.fromEntries(BOOL_UNARY.map((op) => [op, boolUnary])),
  Where: where,
  Dropout: dropout,
  QLinearAdd: qlinearBinary,
  QLinearMul: qlinearBinary,
};
