import { indexGraph } from '../../onnx/graph.js';
import type { GraphProto } from '../../onnx/types.js';
import type { TensorRange } from '../calibrate/methods.js';

/**
 * Element-wise increasing functions: when such an op's input is quantized, its input is already clamped to the
 * input's range, so the output range is exactly [f(min), f(max)] — no need to calibrate it. For YOLO's SiLU this
 * skips every Sigmoid output, a third of the calibration work.
 */
const identity = (x: number) => x;
const INCREASING: Record<string, (x: number) => number> = {
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Relu: (x) => Math.max(0, x),
  Tanh: (x) => Math.tanh(x),
  // Data movement (and nearest/linear resampling, max pooling) never leaves the input's range.
  MaxPool: identity,
  Resize: identity,
  Reshape: identity,
  Transpose: identity,
  Slice: identity,
  Flatten: identity,
  Squeeze: identity,
  Unsqueeze: identity,
};

/**
 * Output tensor → (input tensor, function) for the tensors of `wanted` whose range follows from another tensor's:
 * one that is itself wanted (and so measured), or — with `measured` — one that already has statistics. (A Relu
 * after a float stem conv: the conv output is not in this plan, but calibration measured it for the full plan.)
 */
export function derivableTensors(
  graph: GraphProto,
  wanted: readonly string[],
  measured: (tensor: string) => boolean = () => false,
): Map<string, { input: string; f: (x: number) => number }> {
  const set = new Set(wanted);
  const { producer } = indexGraph(graph);
  const derived = new Map<string, { input: string; f: (x: number) => number }>();
  for (const tensor of wanted) {
    if (measured(tensor)) continue;
    const node = producer.get(tensor);
    const f = node ? INCREASING[node.opType ?? ''] : undefined;
    const input = node?.input[0];
    if (f && input && (set.has(input) || measured(input)) && !derived.has(input)) {
      derived.set(tensor, { input, f });
      continue;
    }
    // Through a chain of increasing ops back to a measured tensor (Relu → MaxPool after a float conv: a search
    // candidate may quantize the MaxPool while the full plan, which calibration ran, derived both from the conv).
    let source = input;
    let composed = f;
    for (let depth = 0; f && source && !measured(source) && depth < 8; depth++) {
      const up = producer.get(source);
      const g = up ? INCREASING[up.opType ?? ''] : undefined;
      const next = up?.input[0];
      if (!g || !next) {
        source = undefined;
        break;
      }
      const outer = composed!;
      composed = (x) => outer(g(x));
      source = next;
    }
    if (f && source && composed && measured(source)) derived.set(tensor, { input: source, f: composed });
  }
  return derived;
}

export function derivedRange(input: TensorRange, f: (x: number) => number): TensorRange {
  return { min: Math.min(0, f(input.min)), max: Math.max(0, f(input.max)) };
}
