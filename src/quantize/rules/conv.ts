import { makeNode } from '../../onnx/builder.js';
import { makeInt64Tensor } from '../../onnx/tensor.js';
import type { NodeProto } from '../../onnx/types.js';
import type { DynamicQuantizeContext } from '../context.js';
import { integerNodeName, rescaleToFloat } from './integer-output.js';
import type { DynamicQuantizeRule } from './rule.js';

/**
 * Conv → DynamicQuantizeLinear(x) → ConvInteger → Cast → Mul(x_scale·w_scale) → Add(bias reshaped to
 * [1,-1,1,…]), exactly the chain onnxruntime's quantize_dynamic emits. Attributes are copied as they are.
 *
 * Per-channel: onnxruntime's ConvInteger kernel only accepts a scalar weight zero point, so per-channel
 * weights are quantized symmetrically (every channel then shares the middle code as zero point) and the
 * per-channel scales are stored as [1,M,1,1] so that they broadcast over the NCHW output.
 */
export const convRule: DynamicQuantizeRule = {
  opType: 'Conv',
  check(node, ctx) {
    const [x, w] = node.input;
    if (!x || !w) return 'Conv without input or weight';
    const weightProblem = ctx.weightProblem(w);
    if (weightProblem) return weightProblem;
    if (ctx.initializer(w)!.dims.length < 3) return `weight '${w}' has rank < 3`;
    if (!ctx.isFloatTensor(x)) return `input '${x}' is not float32`;
    const bias = node.input[2];
    if (bias && !ctx.isFloatTensor(bias)) return `bias '${bias}' is not float32`;
    return undefined;
  },
  rewrite(node, ctx) {
    const [x, w, bias] = node.input as [string, string, string | undefined];
    const output = node.output[0]!;
    const weightDims = ctx.initializer(w)!.dims.map(Number);
    const perChannel = ctx.settings.perChannel;
    const act = ctx.activation(x);
    const weight = ctx.weight(
      w,
      perChannel
        ? { axis: 0, symmetric: true, scalarZeroPoint: true, scaleDims: channelShape(weightDims.length, weightDims[0]!) }
        : {},
    );
    const name = integerNodeName(ctx, node);
    const integerOutput = ctx.uniqueName(`${output}_output_quantized`);
    const convInteger: NodeProto = {
      ...makeNode('ConvInteger', [act.quantized, weight.quantized, act.zeroPoint, weight.zeroPoint], [integerOutput], {}, { name }),
      attribute: node.attribute.map((a) => ({ ...a })),
    };
    const hasBias = Boolean(bias);
    const scaledOutput = hasBias ? ctx.uniqueName(`${output}quant_scaled_output`) : output;
    const nodes = [...act.nodes, convInteger, ...rescaleToFloat(ctx, name, integerOutput, [act.scale, weight.scale], scaledOutput)];
    if (bias) {
      // The bias stays float and is added after rescaling; Reshape makes [M] broadcast over N,M,H,W.
      const shapeName = ctx.uniqueName(`${output}_bias_reshape_shape`);
      ctx.newInitializers.push(makeInt64Tensor(shapeName, channelShape(weightDims.length, -1)));
      const reshaped = ctx.uniqueName(`${output}_bias_reshape_output`);
      nodes.push(
        makeNode('Reshape', [bias, shapeName], [reshaped], {}, { name: ctx.uniqueName(`${output}_bias_reshape`) }),
        makeNode('Add', [scaledOutput, reshaped], [output], {}, { name: ctx.uniqueName(`${output}_bias_add`) }),
      );
    }
    return nodes;
  },
};

/** [1, channels, 1, …] with the given rank: a per-output-channel shape that broadcasts over N,C,spatial. */
function channelShape(rank: number, channels: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === 1 ? channels : 1));
}
