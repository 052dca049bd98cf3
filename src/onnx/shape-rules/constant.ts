import { getAttribute, getIntAttribute } from '../builder.js';
import { elementCount, tensorToFloat32, tensorToNumbers } from '../tensor.js';
import { DataType, type TensorProto } from '../types.js';
import { knownProduct } from './dims.js';
import type { OutputInfo, ShapeRule } from './types.js';

/** Tensors up to this many elements have their values tracked (shapes, axes, scales, not weights). */
export const MAX_TRACKED_ELEMENTS = 1024;

const INTEGER_TYPES = new Set<number>([
  DataType.INT8, DataType.UINT8, DataType.INT16, DataType.UINT16, DataType.INT32, DataType.INT64,
  DataType.UINT32, DataType.UINT64, DataType.BOOL,
]);
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);

export function isIntegerType(dataType: number): boolean {
  return INTEGER_TYPES.has(dataType);
}

/** The values of a small numeric tensor, or undefined for big or non-numeric ones. */
export function smallTensorValues(tensor: TensorProto): number[] | undefined {
  const type = tensor.dataType ?? 0;
  if (elementCount(tensor.dims) > MAX_TRACKED_ELEMENTS) return undefined;
  if (INTEGER_TYPES.has(type)) return tensorToNumbers(tensor);
  if (FLOAT_TYPES.has(type)) return Array.from(tensorToFloat32(tensor));
  return undefined;
}

/** Output info of a tensor literal (initializer or Constant attribute). */
export function tensorInfo(tensor: TensorProto): OutputInfo {
  const out: OutputInfo = { dataType: tensor.dataType ?? 0, shape: tensor.dims.map(Number) };
  const value = smallTensorValues(tensor);
  if (value) out.value = value;
  return out;
}

const constant: ShapeRule = (ctx) => {
  for (const attr of ctx.node.attribute) {
    const v = getAttribute(ctx.node, attr.name ?? '');
    switch (attr.name) {
      case 'value': return [tensorInfo(v as TensorProto)];
      case 'value_int': return [{ dataType: DataType.INT64, shape: [], value: [v as number] }];
      case 'value_ints': return [{ dataType: DataType.INT64, shape: [(v as number[]).length], value: v as number[] }];
      case 'value_float': return [{ dataType: DataType.FLOAT, shape: [], value: [v as number] }];
      case 'value_floats': return [{ dataType: DataType.FLOAT, shape: [(v as number[]).length], value: v as number[] }];
      default:
    }
  }
  return [undefined];
};

const constantOfShape: ShapeRule = (ctx) => {
  const shape = ctx.value(0);
  const fill = getAttribute(ctx.node, 'value') as TensorProto | undefined;
  const dataType = fill?.dataType ?? DataType.FLOAT;
  if (!shape) {
    const rank = ctx.input(0)?.shape[0];
    return [typeof rank === 'number' ? { dataType, shape: Array.from({ length: rank }, () => ctx.symbol()) } : undefined];
  }
  const out: OutputInfo = { dataType, shape };
  const count = knownProduct(shape) ?? Infinity;
  if (count <= MAX_TRACKED_ELEMENTS) out.value = new Array<number>(count).fill(fill ? (smallTensorValues(fill)?.[0] ?? 0) : 0);
  return [out];
};

/** Shape's value is the input's dims when they are all known; opset 15 adds start/end. */
const shapeOf: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [{ dataType: DataType.INT64, shape: [ctx.symbol()] }];
  const rank = x.shape.length;
  const clamp = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clamp(getIntAttribute(ctx.node, 'start', 0));
  const end = clamp(getIntAttribute(ctx.node, 'end', rank));
  const dims = x.shape.slice(start, Math.max(start, end));
  const out: OutputInfo = { dataType: DataType.INT64, shape: [dims.length] };
  if (dims.every((d): d is number => typeof d === 'number')) out.value = dims;
  return [out];
};

const size: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const count = x ? knownProduct(x.shape) : undefined;
  return [count === undefined ? { dataType: DataType.INT64, shape: [] } : { dataType: DataType.INT64, shape: [], value: [count] }];
};

const identity: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x) return [undefined];
  const out: OutputInfo = { ...x };
  const value = ctx.value(0);
  if (value) out.value = value;
  return [out];
};

const cast: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const to = getIntAttribute(ctx.node, 'to');
  if (!x || to === undefined) return [undefined];
  const out: OutputInfo = { dataType: to, shape: x.shape };
  const value = ctx.value(0);
  if (value) out.value = INTEGER_TYPES.has(to) ? value.map((v) => (to === DataType.BOOL ? Number(v !== 0) : Math.trunc(v))) : value;
  return [out];
};

/** CastLike takes the target element type from its second input. */
const castLike: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const like = ctx.input(1);
  return [x && like ? { dataType: like.dataType, shape: x.shape } : undefined];
};

export const constantRules: Record<string, ShapeRule> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Shape: shapeOf,
  Size: size,
  Identity: identity,
  Cast: cast,
  CastLike: castLike,
};
