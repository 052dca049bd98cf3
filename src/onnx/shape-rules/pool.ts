import { getIntAttribute, getIntsAttribute } from '../builder.js';
import { DataType } from '../types.js';
import { windowOutputDims } from './conv.js';
import type { ShapeRule } from './types.js';

const windowPool: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const kernel = getIntsAttribute(ctx.node, 'kernel_shape');
  if (!x || !kernel || x.shape.length < 3) return [undefined, undefined];
  const spatial = windowOutputDims(ctx, x.shape.slice(2), kernel, { ceilMode: getIntAttribute(ctx.node, 'ceil_mode', 0) === 1 });
  const shape = [x.shape[0]!, x.shape[1]!, ...spatial];
  // MaxPool's optional second output holds the argmax indices.
  return [{ dataType: x.dataType, shape }, { dataType: DataType.INT64, shape }];
};

const globalPool: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x || x.shape.length < 3) return [undefined];
  return [{ dataType: x.dataType, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
};

/** com.microsoft QLinearGlobalAveragePool may run channels-last (NHWC). */
const qlinearGlobalPool: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (!x || x.shape.length < 3) return [undefined];
  if (getIntAttribute(ctx.node, 'channels_last', 0) === 1) {
    const rank = x.shape.length;
    return [{ dataType: x.dataType, shape: x.shape.map((d, i) => (i === 0 || i === rank - 1 ? d : 1)) }];
  }
  return globalPool(ctx);
};

export const poolRules: Record<string, ShapeRule> = {
  MaxPool: windowPool,
  AveragePool: windowPool,
  LpPool: windowPool,
  QLinearAveragePool: windowPool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  QLinearGlobalAveragePool: qlinearGlobalPool,
};
