import { getFloatAttribute, getIntAttribute, makeNode } from '../../onnx/builder.js';
import { matmulIntegerChain, perColumn } from './matmul.js';
import type { DynamicQuantizeRule } from './rule.js';

/**
 * Gemm(A, B, C) with constant B, alpha = beta = 1 and no transA → the MatMulInteger chain plus Add(C).
 * transB = 1 is absorbed offline by storing the quantized weight transposed to [K,N].
 * (onnxruntime's dynamic mode leaves Gemm in float; this rule is edgeopt's addition.)
 */
export const gemmRule: DynamicQuantizeRule = {
  opType: 'Gemm',
  check(node, ctx) {
    const [a, b, c] = node.input;
    if (!a || !b) return 'Gemm without two inputs';
    if (getIntAttribute(node, 'transA', 0) !== 0) return 'transA=1 is not supported';
    if (getFloatAttribute(node, 'alpha', 1) !== 1) return 'alpha != 1 is not supported';
    if (c && getFloatAttribute(node, 'beta', 1) !== 1) return 'beta != 1 is not supported';
    const weightProblem = ctx.weightProblem(b, 'B');
    if (weightProblem) return weightProblem;
    if (ctx.initializer(b)!.dims.length !== 2) return `B '${b}' is not 2-D`;
    if (!ctx.isFloatTensor(a)) return `input '${a}' is not float32`;
    if (c && !ctx.isFloatTensor(c)) return `C '${c}' is not float32`;
    return undefined;
  },
  rewrite(node, ctx) {
    const [a, b, c] = node.input as [string, string, string | undefined];
    const output = node.output[0]!;
    const transpose = getIntAttribute(node, 'transB', 0) === 1;
    const product = c ? ctx.uniqueName(`${output}_matmul_output`) : output;
    const nodes = matmulIntegerChain(ctx, node, a, b, product, { ...perColumn(ctx), transpose });
    if (c) nodes.push(makeNode('Add', [product, c], [output], {}, { name: ctx.uniqueName(`${output}_bias_add`) }));
    return nodes;
  },
};
