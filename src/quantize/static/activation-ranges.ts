import { indexGraph } from '../../onnx/graph.js';
import type { GraphProto, NodeProto } from '../../onnx/types.js';
import type { TensorRange } from '../calibrate/methods.js';
import { computeQParams, type QuantType } from '../math.js';

/**
 * Pre-activation ranges that fit what the activation's quantized output can tell apart.
 *
 * A tensor read only by a SiLU (Sigmoid(x) and x·Sigmoid(x), both quantized) is usually calibrated on its own
 * range, which for a conv output is wide and symmetric (YOLOv5nu's second conv: −97…96 at percentile 99.999).
 * But SiLU maps every x below about −3…−7 to within half a step of zero at the output's resolution, and above the
 * output's upper bound it only saturates: clipping the input to [L, max(output)] changes no output code while the
 * input's step shrinks (there: from 0.76 to 0.35). L is the most negative x whose |SiLU(x)| still exceeds half
 * of the output's step.
 */
export interface SiluInput {
  /** The pre-activation tensor. */
  tensor: string;
  /** The SiLU output tensor (the Mul's output) whose step decides how much of the input matters. */
  output: string;
}

const silu = (x: number) => x / (1 + Math.exp(-x));
/** SiLU's minimum is at x ≈ −1.28; never clip above it (the dip is real signal). */
const SILU_DIP = -1.5;

/** The SiLU inputs among the quantized nodes: x read by exactly one quantized Sigmoid and one quantized Mul(x, Sigmoid(x)). */
export function findSiluInputs(graph: GraphProto, quantized: ReadonlySet<NodeProto>): SiluInput[] {
  const index = indexGraph(graph);
  const found: SiluInput[] = [];
  for (const sigmoid of quantized) {
    if (sigmoid.opType !== 'Sigmoid') continue;
    const x = sigmoid.input[0]!;
    if (index.graphOutputs.has(x) || index.initializers.has(x)) continue;
    const readers = index.consumers.get(x) ?? [];
    const mul = readers.find((n) => n.opType === 'Mul' && n.input.includes(sigmoid.output[0]!));
    if (!mul || !quantized.has(mul) || readers.length !== 2) continue;
    if ((index.consumers.get(sigmoid.output[0]!) ?? []).length !== 1) continue;
    found.push({ tensor: x, output: mul.output[0]! });
  }
  return found;
}

/** The narrowed input range for one SiLU, given the input's calibrated range and the output's. */
export function siluInputRange(input: TensorRange, output: TensorRange, type: QuantType): TensorRange {
  const step = computeQParams(output.min, output.max, type, type === 'int8').scale;
  let low = SILU_DIP;
  while (low > -40 && Math.abs(silu(low)) > step / 2) low -= 0.125;
  return { min: Math.min(0, Math.max(input.min, low)), max: Math.max(0, Math.min(input.max, output.max)) };
}
