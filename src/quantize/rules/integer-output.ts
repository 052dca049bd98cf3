import { makeNode } from '../../onnx/builder.js';
import { DataType, type NodeProto } from '../../onnx/types.js';
import type { DynamicQuantizeContext } from '../context.js';

/**
 * The tail every integer op gets: Cast(int32 → float) then Mul by x_scale * w_scale, so that
 * y ≈ x · w. Naming follows onnxruntime's tool (`<node>_quant_scales_mul`, `<out>_output_quantized_cast`)
 * so that graphs can be compared node by node with its output.
 */
export function rescaleToFloat(
  ctx: DynamicQuantizeContext,
  integerNodeName: string,
  integerOutput: string,
  scales: [string, string],
  scaledOutput: string,
): NodeProto[] {
  const castOutput = ctx.uniqueName(`${integerOutput}_cast_output`);
  const cast = makeNode('Cast', [integerOutput], [castOutput], { to: DataType.FLOAT }, { name: ctx.uniqueName(`${integerOutput}_cast`) });
  const scalesName = ctx.uniqueName(integerNodeName ? `${integerNodeName}_scales_mul` : `${scales[0]}_${scales[1]}_mul`);
  const scalesMul = makeNode('Mul', [...scales], [ctx.uniqueName(`${scalesName}:0`)], {}, { name: scalesName });
  const outputMul = makeNode('Mul', [castOutput, scalesMul.output[0]!], [scaledOutput], {}, {
    name: ctx.uniqueName(`${integerNodeName || scaledOutput}_output_scale_mul`),
  });
  return [cast, scalesMul, outputMul];
}

/** Name for the integer op: `<original>_quant`, or derived from the output when the node is unnamed. */
export function integerNodeName(ctx: DynamicQuantizeContext, node: NodeProto): string {
  return ctx.uniqueName(node.name ? `${node.name}_quant` : `${node.output[0]}_quant`);
}
