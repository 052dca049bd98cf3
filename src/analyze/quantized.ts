import { dataTypeName } from '../onnx/tensor.js';
import type { GraphProto, NodeProto } from '../onnx/types.js';

/**
 * How a model is already quantized, read from its graph alone:
 * - `dynamic`: onnxruntime's quantize_dynamic form — DynamicQuantizeLinear on activations, ConvInteger/MatMulInteger
 *   (or com.microsoft MatMulIntegerToFloat / DynamicQuantizeMatMul) on integer weights;
 * - `qdq`: float ops between QuantizeLinear/DequantizeLinear pairs, weights stored as integers behind a DequantizeLinear;
 * - `qoperator`: integer operators with their scales as inputs (QLinearConv, QLinearMatMul, com.microsoft QLinear*, QGemm).
 */
export type QuantizationScheme = 'dynamic' | 'qdq' | 'qoperator';

export interface QuantizationSummary {
  /** The schemes found; empty for a float model. */
  schemes: QuantizationScheme[];
  /** Integer compute, by op type ("Conv (QDQ)" for a float Conv whose weight comes from a DequantizeLinear). */
  computeOps: Record<string, number>;
  /** Quantized weight tensors by storage type ('int8', 'uint8', …). */
  weightTypes: Record<string, number>;
  /** Activation quantizers by op type (DynamicQuantizeLinear, QuantizeLinear). */
  activationQuantizers: Record<string, number>;
  /** One line, e.g. "dynamic INT8: 83 ConvInteger, int8 weights, 78 DynamicQuantizeLinear". */
  description: string;
}

const DYNAMIC_COMPUTE = new Set(['ConvInteger', 'MatMulInteger', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul']);
/** Position of the integer weight in each integer compute op. */
const WEIGHT_INPUT: Record<string, number> = {
  ConvInteger: 1, MatMulInteger: 1, MatMulIntegerToFloat: 1, DynamicQuantizeMatMul: 1,
  QLinearConv: 3, QLinearMatMul: 3, QGemm: 3,
};
const FLOAT_COMPUTE = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);

function isQOperator(op: string): boolean {
  return op.startsWith('QLinear') || op === 'QGemm' || op === 'QAttention';
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function describeQuantization(graph: GraphProto): QuantizationSummary {
  const initializers = new Map(graph.initializer.map((t) => [t.name ?? '', t]));
  const producer = new Map<string, NodeProto>();
  for (const node of graph.node) for (const out of node.output) producer.set(out, node);
  const computeOps: Record<string, number> = {};
  const weightTypes: Record<string, number> = {};
  const activationQuantizers: Record<string, number> = {};
  const weightSeen = new Set<string>();
  const schemes = new Set<QuantizationScheme>();
  const countWeight = (name: string | undefined) => {
    const tensor = name ? initializers.get(name) : undefined;
    if (!tensor || weightSeen.has(name!)) return;
    weightSeen.add(name!);
    bump(weightTypes, dataTypeName(tensor.dataType));
  };
  let qdqActivations = 0;
  for (const node of graph.node) {
    const op = node.opType ?? '';
    if (op === 'DynamicQuantizeLinear') {
      bump(activationQuantizers, op);
      schemes.add('dynamic');
    } else if (DYNAMIC_COMPUTE.has(op)) {
      bump(computeOps, op);
      countWeight(node.input[WEIGHT_INPUT[op]!]);
      schemes.add('dynamic');
    } else if (isQOperator(op)) {
      bump(computeOps, op);
      if (WEIGHT_INPUT[op] !== undefined) countWeight(node.input[WEIGHT_INPUT[op]!]);
      schemes.add('qoperator');
    } else if (op === 'QuantizeLinear') {
      bump(activationQuantizers, op);
    } else if (FLOAT_COMPUTE.has(op)) {
      const weight = producer.get(node.input[1] ?? '');
      if (weight?.opType === 'DequantizeLinear') {
        bump(computeOps, `${op} (QDQ)`);
        countWeight(weight.input[0]);
        schemes.add('qdq');
      }
    } else if (op === 'DequantizeLinear' && producer.get(node.input[0] ?? '')?.opType === 'QuantizeLinear') {
      qdqActivations++;
    }
  }
  // Q→DQ pairs around float ops with no integer operator at all: a QDQ model without quantized weights.
  if (qdqActivations > 0 && schemes.size === 0) schemes.add('qdq');
  return { schemes: [...schemes], computeOps, weightTypes, activationQuantizers, description: describe([...schemes], computeOps, weightTypes, activationQuantizers) };
}

const SCHEME_NAMES: Record<QuantizationScheme, string> = { dynamic: 'dynamic INT8', qdq: 'static INT8 (QDQ)', qoperator: 'static INT8 (QOperator)' };

function describe(
  schemes: QuantizationScheme[],
  computeOps: Record<string, number>,
  weightTypes: Record<string, number>,
  activationQuantizers: Record<string, number>,
): string {
  if (schemes.length === 0) return 'not quantized';
  const list = (counts: Record<string, number>) => Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`);
  const weights = Object.keys(weightTypes).length ? [`${Object.keys(weightTypes).join('/')} weights`] : [];
  return `${schemes.map((s) => SCHEME_NAMES[s]).join(' + ')}: ${[...list(computeOps), ...weights, ...list(activationQuantizers)].join(', ')}`;
}
