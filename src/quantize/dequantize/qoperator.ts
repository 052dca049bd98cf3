import { makeNode } from '../../onnx/builder.js';
import { elementCount, makeTensor, tensorToArray, tensorToFloat32 } from '../../onnx/tensor.js';
import type { AttributeProto, NodeProto } from '../../onnx/types.js';
import { constantTensor, count, type DequantizeContext } from './graph-edit.js';

/**
 * QOperator ops (integer kernels taking their scales as inputs) written back in QDQ form — DequantizeLinear on each
 * quantized input, the float op, QuantizeLinear on a quantized output — so that the QDQ pass then removes the pairs.
 * One entry per op type: supporting another QOperator op is one line here.
 */
interface QOperatorRule {
  floatOp: string;
  /** (value, scale, zero point) input positions of each quantized operand, in the float op's input order. */
  operands(node: NodeProto): Array<[number, number, number]>;
  /** (scale, zero point) positions of the quantized output; absent when the op already returns float. */
  output?: [number, number];
  /** An int32 bias input at this position, in units of operand 0's scale × operand 1's scale. */
  bias?: number;
  /** Attributes the float op does not take. */
  dropAttributes?: string[];
  /** Why a node cannot be written back, when it cannot. */
  unsupported?(node: NodeProto): string | undefined;
}

const unary = (floatOp: string, drop: string[] = []): QOperatorRule => ({ floatOp, operands: () => [[0, 1, 2]], output: [3, 4], dropAttributes: drop });
const binary = (floatOp: string): QOperatorRule => ({ floatOp, operands: () => [[0, 1, 2], [3, 4, 5]], output: [6, 7] });
const channelsFirstOnly = (node: NodeProto) =>
  node.attribute.some((a) => a.name === 'channels_last' && Number(a.i) === 1) ? 'channels-last layout is not rebuilt' : undefined;

export const QOPERATOR_RULES: Readonly<Record<string, QOperatorRule>> = {
  QLinearConv: { floatOp: 'Conv', operands: () => [[0, 1, 2], [3, 4, 5]], output: [6, 7], bias: 8 },
  QLinearMatMul: binary('MatMul'),
  QLinearAdd: binary('Add'),
  QLinearMul: binary('Mul'),
  QLinearSigmoid: unary('Sigmoid'),
  QLinearLeakyRelu: unary('LeakyRelu'),
  QLinearSoftmax: unary('Softmax', ['opset']),
  QLinearGlobalAveragePool: { ...unary('GlobalAveragePool', ['channels_last']), unsupported: channelsFirstOnly },
  QLinearAveragePool: { ...unary('AveragePool', ['channels_last']), unsupported: channelsFirstOnly },
  QLinearConcat: {
    floatOp: 'Concat',
    operands: (node) => Array.from({ length: Math.floor((node.input.length - 2) / 3) }, (_, k): [number, number, number] => [2 + 3 * k, 3 + 3 * k, 4 + 3 * k]),
    output: [0, 1],
  },
  QGemm: { floatOp: 'Gemm', operands: () => [[0, 1, 2], [3, 4, 5]], output: [7, 8], bias: 6 },
};

/** Per-channel weights: a conv kernel's scales run along axis 0; a matmul/gemm weight's along its columns. */
function weightAxis(rule: QOperatorRule, operand: number, scaleCount: number): number | undefined {
  if (scaleCount <= 1 || operand !== 1) return undefined;
  return rule.floatOp === 'Conv' ? 0 : 1;
}

function floatBias(ctx: DequantizeContext, node: NodeProto, rule: QOperatorRule): string | undefined | false {
  const name = rule.bias === undefined ? undefined : node.input[rule.bias];
  if (!name) return undefined;
  const bias = constantTensor(ctx, name);
  const [[, xs], [, ws]] = rule.operands(node) as [[number, number, number], [number, number, number]];
  const xScale = constantTensor(ctx, node.input[xs]);
  const wScale = constantTensor(ctx, node.input[ws]);
  if (!bias || !xScale || !wScale) return false;
  const q = tensorToArray(bias) as ArrayLike<number>;
  const x = tensorToFloat32(xScale)[0]!;
  const w = tensorToFloat32(wScale);
  const values = Float32Array.from({ length: elementCount(bias.dims) }, (_, c) => Math.fround(Number(q[c]) * Math.fround(x * w[w.length === 1 ? 0 : c]!)));
  const out = ctx.name(`${name}_float`);
  ctx.graph.initializer.push(makeTensor(out, values, bias.dims.map(Number)));
  return out;
}

/** Rewrites every QOperator node into DequantizeLinear → float op → QuantizeLinear; returns how many. */
export function expandQOperators(ctx: DequantizeContext): number {
  let expanded = 0;
  const rewritten: NodeProto[] = [];
  for (const node of ctx.graph.node) {
    const rule = QOPERATOR_RULES[node.opType ?? ''];
    const reason = rule ? rule.unsupported?.(node) : undefined;
    if (!rule || reason) {
      if (reason) ctx.skipped.push({ node: node.name ?? '', opType: node.opType ?? '', reason });
      rewritten.push(node);
      continue;
    }
    const bias = floatBias(ctx, node, rule);
    if (bias === false) {
      ctx.skipped.push({ node: node.name ?? '', opType: node.opType ?? '', reason: 'bias or scales are not constants' });
      rewritten.push(node);
      continue;
    }
    const base = node.name || node.output[0]!;
    const inputs = rule.operands(node).map(([v, s, z], operand) => {
      const scale = constantTensor(ctx, node.input[s]);
      const axis = weightAxis(rule, operand, scale ? elementCount(scale.dims) : 1);
      const out = ctx.name(`${node.input[v]}_dequantized`);
      const zp = node.input[z] ? [node.input[z]!] : [];
      rewritten.push(makeNode('DequantizeLinear', [node.input[v]!, node.input[s]!, ...zp], [out], axis === undefined ? {} : { axis }, { name: ctx.name(`${base}_DequantizeLinear`) }));
      return out;
    });
    if (bias) inputs.push(bias);
    const result = node.output[0]!;
    // QGemm without an output scale already returns float.
    const quantizedOutput = rule.output && node.input[rule.output[0]] ? rule.output : undefined;
    const floatOut = quantizedOutput ? ctx.name(`${result}_float`) : result;
    const attribute: AttributeProto[] = node.attribute.filter((a) => !(rule.dropAttributes ?? []).includes(a.name ?? '')).map((a) => ({ ...a }));
    rewritten.push({ ...makeNode(rule.floatOp, inputs, [floatOut], {}, { name: ctx.name(`${base}_float`) }), attribute });
    if (quantizedOutput) {
      const [s, z] = quantizedOutput;
      const zp = node.input[z] ? [node.input[z]!] : [];
      rewritten.push(makeNode('QuantizeLinear', [floatOut, node.input[s]!, ...zp], [result], {}, { name: ctx.name(`${base}_QuantizeLinear`) }));
    }
    count(ctx, `${node.opType} → ${rule.floatOp}`);
    expanded++;
  }
  ctx.graph.node = rewritten;
  return expanded;
}
