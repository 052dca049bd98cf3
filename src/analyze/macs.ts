import { getIntAttribute } from '../onnx/builder.js';
import { knownProduct } from '../onnx/shape-rules/dims.js';
import type { TensorType } from '../onnx/shapes.js';
import type { NodeProto } from '../onnx/types.js';

/** Counts multiply-accumulates of one node from inferred types; undefined when a needed dim is unknown. */
type MacRule = (node: NodeProto, typeOf: (name: string | undefined) => TensorType | undefined) => number | undefined;

/** Conv family: every output element sums over (Cin/group)·kH·kW products = N·Cout·Hout·Wout·(Cin/group)·kH·kW. */
function convMacs(weightIndex: number): MacRule {
  return (node, typeOf) => {
    const out = typeOf(node.output[0]);
    const w = typeOf(node.input[weightIndex]);
    if (!out || !w) return undefined;
    const outputs = knownProduct(out.shape);
    const perOutput = knownProduct(w.shape.slice(1)); // (Cin/group)·k…
    return outputs === undefined || perOutput === undefined ? undefined : outputs * perOutput;
  };
}

/** ConvTranspose scatters every input element over Cout/group·k… outputs. */
const convTransposeMacs: MacRule = (node, typeOf) => {
  const x = typeOf(node.input[0]);
  const w = typeOf(node.input[1]);
  if (!x || !w) return undefined;
  const inputs = knownProduct(x.shape);
  const perInput = knownProduct(w.shape.slice(1));
  return inputs === undefined || perInput === undefined ? undefined : inputs * perInput;
};

/** MatMul family: every output element is a dot product over A's last dim. */
function matmulMacs(aIndex: number): MacRule {
  return (node, typeOf) => {
    const out = typeOf(node.output[0]);
    const a = typeOf(node.input[aIndex]);
    if (!out || !a || a.shape.length === 0) return undefined;
    const outputs = knownProduct(out.shape);
    const k = a.shape[a.shape.length - 1];
    return outputs === undefined || typeof k !== 'number' ? undefined : outputs * k;
  };
}

const gemmMacs: MacRule = (node, typeOf) => {
  const out = typeOf(node.output[0]);
  const a = typeOf(node.input[0]);
  if (!out || !a || a.shape.length !== 2) return undefined;
  const outputs = knownProduct(out.shape);
  const k = getIntAttribute(node, 'transA', 0) ? a.shape[0] : a.shape[1];
  return outputs === undefined || typeof k !== 'number' ? undefined : outputs * k;
};

/**
 * op type → MAC counter. Only the ops that dominate a CNN's arithmetic are counted; elementwise
 * ops are memory-bound and would only blur the comparison. One entry per op: add a line to count more.
 */
export const MAC_RULES: Readonly<Record<string, MacRule>> = {
  Conv: convMacs(1),
  ConvInteger: convMacs(1),
  QLinearConv: convMacs(3),
  ConvTranspose: convTransposeMacs,
  MatMul: matmulMacs(0),
  MatMulInteger: matmulMacs(0),
  QLinearMatMul: matmulMacs(0),
  MatMulIntegerToFloat: matmulMacs(0),
  Gemm: gemmMacs,
};

export interface MacCount {
  total: number;
  /** Op type → MACs, largest first. */
  byOpType: Record<string, number>;
  /** Nodes of a counted op type whose shapes were not fully known, so they are missing from the total. */
  uncounted: string[];
}

export function countMacs(nodes: readonly NodeProto[], types: ReadonlyMap<string, TensorType>): MacCount {
  const typeOf = (name: string | undefined) => (name ? types.get(name) : undefined);
  const byOp = new Map<string, number>();
  const uncounted: string[] = [];
  let total = 0;
  for (const node of nodes) {
    const rule = MAC_RULES[node.opType ?? ''];
    if (!rule) continue;
    const macs = rule(node, typeOf);
    if (macs === undefined) {
      uncounted.push(node.name || node.output[0] || node.opType!);
      continue;
    }
    total += macs;
    byOp.set(node.opType!, (byOp.get(node.opType!) ?? 0) + macs);
  }
  const byOpType = Object.fromEntries([...byOp].sort((a, b) => b[1] - a[1]));
  return { total, byOpType, uncounted };
}
