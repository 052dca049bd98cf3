import { makeNode } from '../../onnx/builder.js';
import type { NodeProto } from '../../onnx/types.js';
import type { DynamicQuantizeContext, WeightRequest } from '../context.js';
import { integerNodeName, rescaleToFloat } from './integer-output.js';
import type { DynamicQuantizeRule } from './rule.js';

/**
 * MatMul(x, W) with a constant W → DynamicQuantizeLinear(x) → MatMulInteger → Cast → Mul(x_scale·w_scale),
 * as onnxruntime's tool does. Per-channel quantizes each output column (the last axis of a 2-D W):
 * MatMulInteger takes a zero point per column and the [N] scale broadcasts over the output's last axis.
 */
export const matmulRule: DynamicQuantizeRule = {
  opType: 'MatMul',
  check(node, ctx) {
    const [x, w] = node.input;
    if (!x || !w) return 'MatMul without two inputs';
    const weightProblem = ctx.weightProblem(w, 'B');
    if (weightProblem) return weightProblem;
    if (ctx.initializer(w)!.dims.length < 2) return `B '${w}' is not a matrix`;
    if (!ctx.isFloatTensor(x)) return `input '${x}' is not float32`;
    return undefined;
  },
  rewrite(node, ctx) {
    const [x, w] = node.input as [string, string];
    const rank = ctx.initializer(w)!.dims.length;
    return matmulIntegerChain(ctx, node, x, w, node.output[0]!, rank === 2 ? perColumn(ctx) : {});
  },
};

/** Per-column weight quantization when per-channel is on (2-D weights only). */
export function perColumn(ctx: DynamicQuantizeContext): WeightRequest {
  return ctx.settings.perChannel ? { axis: 1 } : {};
}

/** The integer chain shared by MatMul and Gemm; writes the float result to `output`. */
export function matmulIntegerChain(
  ctx: DynamicQuantizeContext,
  node: NodeProto,
  x: string,
  w: string,
  output: string,
  request: WeightRequest,
): NodeProto[] {
  const act = ctx.activation(x);
  const weight = ctx.weight(w, request);
  const name = integerNodeName(ctx, node);
  const integerOutput = ctx.uniqueName(`${output}_output_quantized`);
  const matmulInteger = makeNode('MatMulInteger', [act.quantized, weight.quantized, act.zeroPoint, weight.zeroPoint], [integerOutput], {}, { name });
  return [...act.nodes, matmulInteger, ...rescaleToFloat(ctx, name, integerOutput, [act.scale, weight.scale], output)];
}
