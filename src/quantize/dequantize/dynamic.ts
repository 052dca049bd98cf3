import { getIntAttribute, makeNode } from '../../onnx/builder.js';
import { makeTensor, tensorToFloat32 } from '../../onnx/tensor.js';
import { DataType, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { constantTensor, count, dequantizeValues, soleConsumer, type DequantizeContext } from './graph-edit.js';

/**
 * onnxruntime's dynamic INT8 chain, back to one float op:
 *
 *   x → DynamicQuantizeLinear → ConvInteger(x_q, W_q, x_zp, W_zp) → Cast(float) → Mul(·, x_scale·W_scale) [→ Add(bias)]
 *   becomes Conv(x, (W_q − W_zp)·W_scale [, bias])  (MatMulInteger likewise becomes MatMul; a bias Add stays an Add)
 *
 * Only the exact chain is rebuilt; anything else is reported and left as it is.
 */

interface Chain {
  x: string;
  weight: TensorProto;
  weightZeroPoint?: TensorProto;
  weightScale: TensorProto;
  /** The rescaling Mul, whose output is the float result before any bias. */
  mul: NodeProto;
}

function traceChain(ctx: DequantizeContext, node: NodeProto): Chain | string {
  const [xq, wq, xzp, wzp] = node.input;
  const dql = ctx.index.producer.get(xq ?? '');
  if (dql?.opType !== 'DynamicQuantizeLinear' || dql.output[0] !== xq) return 'input is not quantized by a DynamicQuantizeLinear';
  if (xzp && xzp !== dql.output[2]) return "input zero point is not the DynamicQuantizeLinear's";
  const weight = ctx.index.initializers.get(wq ?? '');
  if (!weight) return 'weight is not an initializer';
  const weightZeroPoint = wzp ? constantTensor(ctx, wzp) : undefined;
  if (wzp && !weightZeroPoint) return 'weight zero point is not a constant';
  const cast = soleConsumer(ctx, node.output[0]!);
  if (cast?.opType !== 'Cast' || getIntAttribute(cast, 'to') !== DataType.FLOAT) return 'result is not cast to float';
  const mul = soleConsumer(ctx, cast.output[0]!);
  if (mul?.opType !== 'Mul') return 'result is not rescaled by a Mul';
  const scales = mul.input.find((i) => i !== cast.output[0]);
  const scalesMul = ctx.index.producer.get(scales ?? '');
  let weightScale: TensorProto | undefined;
  if (scalesMul?.opType === 'Mul' && scalesMul.input.includes(dql.output[1]!)) {
    weightScale = constantTensor(ctx, scalesMul.input.find((i) => i !== dql.output[1]));
  }
  if (!weightScale) return "rescaling is not x_scale × a constant weight scale";
  return { x: dql.input[0]!, weight, weightZeroPoint, weightScale, mul };
}

/** A bias Add right after the chain, adding one constant per output channel: folded into the Conv. */
function foldableBias(ctx: DequantizeContext, scaled: string, channels: number): { add: NodeProto; bias: TensorProto } | undefined {
  const add = soleConsumer(ctx, scaled);
  if (add?.opType !== 'Add') return undefined;
  const other = add.input.find((i) => i !== scaled);
  let tensor = constantTensor(ctx, other);
  const reshape = tensor ? undefined : ctx.index.producer.get(other ?? '');
  if (reshape?.opType === 'Reshape') tensor = constantTensor(ctx, reshape.input[0]);
  if (!tensor || tensor.dataType !== DataType.FLOAT) return undefined;
  // [M], or [1,M,1,1] broadcasting over the NCHW result.
  const dims = tensor.dims.map(Number);
  const perChannel = dims.reduce((a, b) => a * b, 1) === channels && (dims.length === 1 || dims[1] === channels);
  return perChannel ? { add, bias: tensor } : undefined;
}

function rebuild(ctx: DequantizeContext, node: NodeProto, floatOp: 'Conv' | 'MatMul'): string | undefined {
  const chain = traceChain(ctx, node);
  if (typeof chain === 'string') return chain;
  const dims = chain.weight.dims.map(Number);
  // Per-channel scales: one per output channel — axis 0 of a conv kernel, the last axis (columns) of a matmul weight.
  const axis = floatOp === 'Conv' ? 0 : dims.length - 1;
  const weightName = ctx.name(chain.weight.name?.replace(/_quantized$/, '') ?? 'weight');
  ctx.graph.initializer.push(makeTensor(weightName, dequantizeValues(chain.weight, chain.weightScale, chain.weightZeroPoint, axis), dims));
  const inputs = [chain.x, weightName];
  // The float op takes over the output of the chain's last node (the Mul, or the bias Add it absorbs).
  let last = chain.mul;
  if (floatOp === 'Conv') {
    const folded = foldableBias(ctx, chain.mul.output[0]!, dims[0]!);
    if (folded) {
      let biasName = folded.bias.name ?? '';
      if (folded.bias.dims.length !== 1 || !ctx.index.initializers.has(biasName)) {
        biasName = ctx.name(`${weightName.replace(/weight$/, '')}bias`);
        ctx.graph.initializer.push(makeTensor(biasName, tensorToFloat32(folded.bias), [dims[0]!]));
      }
      inputs.push(biasName);
      last = folded.add;
    }
  }
  const output = last.output[0]!;
  last.output = [ctx.name(`${output}_replaced`)]; // now read by nobody: dropped with the rest of the chain
  const name = ctx.name((node.name ?? '').replace(/_quant$/, '') || output);
  const float = { ...makeNode(floatOp, inputs, [output], {}, { name }), attribute: node.attribute.map((a) => ({ ...a })) };
  ctx.graph.node.splice(ctx.graph.node.indexOf(node), 0, float);
  count(ctx, `${node.opType} → ${floatOp}`);
  return undefined;
}

/** Rebuilds every dynamic chain of the graph; returns how many. */
export function rebuildDynamicChains(ctx: DequantizeContext): number {
  let rebuilt = 0;
  for (const node of [...ctx.graph.node]) {
    const floatOp = node.opType === 'ConvInteger' ? 'Conv' : node.opType === 'MatMulInteger' ? 'MatMul' : undefined;
    if (!floatOp) continue;
    const reason = rebuild(ctx, node, floatOp);
    if (reason) ctx.skipped.push({ node: node.name ?? '', opType: node.opType ?? '', reason });
    else rebuilt++;
  }
  return rebuilt;
}
