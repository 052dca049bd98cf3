import { getIntAttribute, getStringAttribute, makeNode } from '../../onnx/builder.js';
import { makeTensor, tensorToArray } from '../../onnx/tensor.js';
import { DataType, type NodeProto } from '../../onnx/types.js';
import { constantTensor, count, dequantizeValues, reindex, type DequantizeContext } from './graph-edit.js';

/**
 * The QDQ form back to float:
 * - a DequantizeLinear of a constant (a weight or an int32 bias) becomes a float initializer of (q − zp) × scale,
 *   under the DequantizeLinear's output name, so every reader is unchanged;
 * - a QuantizeLinear → DequantizeLinear pair on an activation disappears: readers of the DequantizeLinear read the
 *   float tensor the QuantizeLinear was given;
 * - an integer data-movement op between the two (MaxPool, Reshape, Transpose … on uint8, as QOperator graphs have
 *   them) commutes with quantization, so it is moved before the QuantizeLinear first.
 */

/** Ops that commute with a per-tensor quantization: op(Q(x)) = Q(op(x)) exactly (order-preserving or data movement). */
const COMMUTES_WITH_QUANTIZE = new Set([
  'MaxPool', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Slice', 'Gather', 'Split',
  'DepthToSpace', 'SpaceToDepth', 'Expand', 'Tile', 'GlobalMaxPool', 'ReduceMax', 'ReduceMin', 'Resize',
]);

/** Weights and biases: DequantizeLinear of constants become float initializers. */
export function foldConstantDequantize(ctx: DequantizeContext): number {
  let folded = 0;
  for (const node of ctx.graph.node) {
    if (node.opType !== 'DequantizeLinear') continue;
    const q = constantTensor(ctx, node.input[0]);
    const scale = constantTensor(ctx, node.input[1]);
    if (!q || !scale) continue;
    if (getIntAttribute(node, 'block_size', 0) !== 0) {
      ctx.skipped.push({ node: node.name ?? '', opType: 'DequantizeLinear', reason: 'blocked quantization (block_size) is not rebuilt' });
      continue;
    }
    const zeroPoint = node.input[2] ? constantTensor(ctx, node.input[2]) : undefined;
    const values = dequantizeValues(q, scale, zeroPoint, getIntAttribute(node, 'axis', 1));
    ctx.graph.initializer.push(makeTensor(node.output[0]!, values, q.dims.map(Number)));
    node.output = [ctx.name(`${node.output[0]}_replaced`)];
    count(ctx, 'DequantizeLinear of a constant → float initializer');
    folded++;
  }
  return folded;
}

/** Moves integer data-movement ops from after a QuantizeLinear to before it, until nothing moves. */
export function hoistThroughQuantize(ctx: DequantizeContext): number {
  let moved = 0;
  for (let changed = true; changed; ) {
    changed = false;
    reindex(ctx);
    for (const node of [...ctx.graph.node]) {
      if (!COMMUTES_WITH_QUANTIZE.has(node.opType ?? '') || (node.domain && node.domain !== 'ai.onnx')) continue;
      if (node.opType === 'MaxPool' && node.output[1]) continue; // its indices are not quantized values
      if (node.opType === 'Resize' && (getStringAttribute(node, 'mode') ?? 'nearest') !== 'nearest') continue; // interpolation rounds
      const q = ctx.index.producer.get(node.input[0] ?? '');
      if (q?.opType !== 'QuantizeLinear' || (q.input[1] && !constantTensor(ctx, q.input[1]))) continue;
      // op(Q(x)) → Q(op(x)) with the same scale and zero point, for every output.
      node.input = [q.input[0]!, ...node.input.slice(1)];
      const requantize: NodeProto[] = node.output.map((out) => {
        const float = ctx.name(`${out}_float`);
        node.output = node.output.map((o) => (o === out ? float : o));
        return makeNode('QuantizeLinear', [float, ...q.input.slice(1)], [out], {}, { name: ctx.name(`${out}_QuantizeLinear`) });
      });
      requantize.forEach((r) => (r.attribute = q.attribute.map((a) => ({ ...a }))));
      ctx.graph.node.splice(ctx.graph.node.indexOf(node) + 1, 0, ...requantize);
      moved++;
      changed = true;
    }
  }
  return moved;
}

/** Ops whose outputs are never negative: a zero-clamping quantization after them clamps nothing. */
const NON_NEGATIVE = new Set(['Relu', 'Sigmoid', 'Softmax', 'HardSigmoid', 'Abs', 'Exp', 'Softplus', 'Sqrt', 'QuickGelu']);

/** Whether a tensor is non-negative by construction: a non-negative op, or data movement / quantization of one. */
function isNonNegative(ctx: DequantizeContext, tensor: string, depth = 0): boolean {
  const producer = ctx.index.producer.get(tensor);
  if (!producer || depth > 16) return false;
  const op = producer.opType ?? '';
  if (NON_NEGATIVE.has(op)) return true;
  if (op === 'QuantizeLinear' || op === 'DequantizeLinear') return clampsAtZero(ctx, producer) || isNonNegative(ctx, producer.input[0]!, depth + 1);
  if (op === 'Concat') return producer.input.every((i) => !i || isNonNegative(ctx, i, depth + 1));
  if (COMMUTES_WITH_QUANTIZE.has(op)) return isNonNegative(ctx, producer.input[0]!, depth + 1);
  return false;
}

/** Whether a quantization's range starts exactly at 0 (zero point at the type's minimum): it acts as a Relu. */
function clampsAtZero(ctx: DequantizeContext, q: NodeProto): boolean {
  const zeroPoint = q.input[2] ? constantTensor(ctx, q.input[2]) : undefined;
  if (q.input[2] && !zeroPoint) return false;
  const values = zeroPoint ? Array.from(tensorToArray(zeroPoint) as ArrayLike<number>, Number) : [0];
  const min = zeroPoint?.dataType === DataType.INT8 ? -128 : zeroPoint?.dataType === DataType.UINT8 || !zeroPoint ? 0 : undefined;
  return min !== undefined && values.every((v) => v === min);
}

/**
 * Removes QuantizeLinear → DequantizeLinear pairs on activations. Where the quantization clamped at 0 after an op
 * that can go negative, a Relu takes its place: onnxruntime folds Relu into QLinearConv exactly that way, so a
 * QOperator graph has no Relu left to find.
 */
export function removeQdqPairs(ctx: DequantizeContext): number {
  reindex(ctx);
  const renames = new Map<string, string>();
  const relus: NodeProto[] = [];
  let removed = 0;
  for (const dq of ctx.graph.node) {
    if (dq.opType !== 'DequantizeLinear') continue;
    const q = ctx.index.producer.get(dq.input[0] ?? '');
    if (q?.opType !== 'QuantizeLinear') continue;
    let float = q.input[0]!;
    if (clampsAtZero(ctx, q) && !isNonNegative(ctx, float)) {
      const relu = ctx.name(`${float}_relu`);
      relus.push(makeNode('Relu', [float], [relu], {}, { name: ctx.name(`${float}_Relu`) }));
      float = relu;
    }
    const out = dq.output[0]!;
    if (ctx.index.graphOutputs.has(out)) {
      // A graph output keeps its name: the pair becomes an Identity, which onnxruntime removes.
      dq.opType = 'Identity';
      dq.input = [float];
      dq.attribute = [];
      dq.domain = '';
    } else {
      renames.set(out, float);
      dq.output = [ctx.name(`${out}_replaced`)];
    }
    removed++;
  }
  const resolve = (t: string) => {
    while (renames.has(t)) t = renames.get(t)!;
    return t;
  };
  ctx.graph.node.push(...relus);
  if (renames.size > 0) for (const node of ctx.graph.node) node.input = node.input.map(resolve);
  if (removed > 0) ctx.rebuilt['QuantizeLinear → DequantizeLinear pair removed'] = removed;
  if (relus.length > 0) ctx.rebuilt['Relu restored where the quantization clamped at 0'] = relus.length;
  return removed;
}
