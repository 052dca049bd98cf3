import type { GraphIndex } from '../../onnx/graph.js';
import type { NodeProto } from '../../onnx/types.js';

/**
 * How static QDQ treats one op type — the registry that decides "quantize Resize too" in one line.
 * - `conv`: activation input 0, int8 weight input 1 (per-channel), int32 bias input 2; onnxruntime fuses to QLinearConv.
 * - `compute`: every listed activation input and the output get their own Q/DQ (QLinearMul/Add/Sigmoid/Concat).
 * - `same-scale`: the output reuses the input's scale and zero point, which is what lets onnxruntime drop the Q/DQ
 *   pair and run the op on uint8 directly (MaxPool, Resize: order-preserving, no new values).
 */
export interface StaticOpRule {
  kind: 'conv' | 'compute' | 'same-scale';
  /** Positions of the inputs that are activations to quantize. */
  activationInputs(node: NodeProto): number[];
  /** Why this node cannot be quantized, or undefined when it can. */
  unsupported?(node: NodeProto, index: GraphIndex): string | undefined;
}

const isInitializer = (index: GraphIndex, name: string | undefined) => name !== undefined && index.initializers.has(name);

const allInputsAreActivations = (node: NodeProto, index: GraphIndex) =>
  node.input.some((i) => !i || isInitializer(index, i)) ? 'has a constant or missing input (left float)' : undefined;

export const STATIC_OP_RULES: Record<string, StaticOpRule> = {
  Conv: {
    kind: 'conv',
    activationInputs: () => [0],
    unsupported(node, index) {
      const weight = index.initializers.get(node.input[1] ?? '');
      if (!weight) return 'weight is not an initializer';
      if (weight.dims.length < 3) return 'weight is not a conv kernel';
      if (node.input[2] && !isInitializer(index, node.input[2])) return 'bias is not an initializer';
      if (isInitializer(index, node.input[0])) return 'input is constant';
      return undefined;
    },
  },
  Sigmoid: { kind: 'compute', activationInputs: () => [0] },
  Mul: { kind: 'compute', activationInputs: () => [0, 1], unsupported: allInputsAreActivations },
  Add: { kind: 'compute', activationInputs: () => [0, 1], unsupported: allInputsAreActivations },
  Concat: { kind: 'compute', activationInputs: (node) => node.input.map((_, i) => i), unsupported: allInputsAreActivations },
  MaxPool: {
    kind: 'same-scale',
    activationInputs: () => [0],
    unsupported: (node) => (node.output.length > 1 && node.output[1] ? 'returns indices' : undefined),
  },
  Resize: { kind: 'same-scale', activationInputs: () => [0] },
  Reshape: { kind: 'same-scale', activationInputs: () => [0] },
  Transpose: { kind: 'same-scale', activationInputs: () => [0] },
  Slice: { kind: 'same-scale', activationInputs: () => [0] },
};

/** `ops: 'conv'` quantizes convolutions only; `'all'` every op type with a rule. */
export type StaticOpSelection = 'conv' | 'all' | string[];

export function selectedOpTypes(ops: StaticOpSelection): string[] {
  if (ops === 'conv') return ['Conv'];
  if (ops === 'all') return Object.keys(STATIC_OP_RULES);
  return ops;
}
