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

/** Longest chain of increasing ops walked back to a measured tensor. */
const MAX_CHAIN = 16;

/**
 * Output tensor → (source tensor, function) for the tensors of `wanted` whose range follows from another tensor's.
 * The source is always one whose range is known directly: a tensor that already has statistics (`measured`), or a
 * wanted tensor that is not itself derived (and so gets measured). Chains of increasing ops are composed (Relu →
 * MaxPool after a float conv; SPPF's three MaxPools with the first two float), so a derived entry never points at
 * another derived tensor — whatever order the plan lists its tensors in.
 */
export function derivableTensors(
  graph: GraphProto,
  wanted: readonly string[],
  measuredTensor?: (tensor: string) => boolean,
): Map<string, { input: string; f: (x: number) => number }> {
  // Without statistics this plans what to measure: a wanted tensor that is not derived will be measured.
  const planning = measuredTensor === undefined;
  const measured = measuredTensor ?? (() => false);
  const set = new Set(wanted);
  const { producer } = indexGraph(graph);
  /** The increasing op producing `t` and its input, when there is one. */
  const step = (t: string) => {
    const node = producer.get(t);
    const f = node ? INCREASING[node.opType ?? ''] : undefined;
    const input = node?.input[0];
    return f && input ? { f, input } : undefined;
  };
  // 1. Back through increasing ops to the nearest tensor with statistics.
  const derived = new Map<string, { input: string; f: (x: number) => number }>();
  const pending: string[] = [];
  for (const tensor of wanted) {
    if (measured(tensor) || derived.has(tensor)) continue;
    let source = tensor;
    let composed: (x: number) => number = identity;
    let found = false;
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      const up = step(source);
      if (!up) break;
      const outer = composed;
      composed = depth === 0 ? up.f : (x) => outer(up.f(x));
      source = up.input;
      if (measured(source)) {
        found = true;
        break;
      }
    }
    if (found) derived.set(tensor, { input: source, f: composed });
    else pending.push(tensor);
  }
  // 2. One step to another wanted tensor, resolved down to a measured one below.
  const direct = new Map<string, { input: string; f: (x: number) => number }>();
  for (const tensor of pending) {
    const up = step(tensor);
    if (up && set.has(up.input) && up.input !== tensor) direct.set(tensor, up);
  }
  for (const [tensor, first] of direct) {
    let { input, f } = first;
    // Compose while the source is itself derived (the graph is acyclic, so this ends at a tensor that is measured).
    for (let next = derived.get(input) ?? direct.get(input); next; next = derived.get(input) ?? direct.get(input)) {
      const outer = f;
      const inner = next.f;
      f = (x) => outer(inner(x));
      input = next.input;
    }
    // With statistics, a source without any (a tensor calibration did not cover) derives nothing.
    if (planning || measured(input)) derived.set(tensor, { input, f });
  }
  return derived;
}

export function derivedRange(input: TensorRange, f: (x: number) => number): TensorRange {
  return { min: Math.min(0, f(input.min)), max: Math.max(0, f(input.max)) };
}
