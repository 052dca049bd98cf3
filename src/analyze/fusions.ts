import type { GraphIndex } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/types.js';

export interface FusionOpportunity {
  pattern: string;
  count: number;
  /** Names of up to three Conv nodes that start the pattern. */
  examples: string[];
}

type Matcher = (conv: NodeProto, index: GraphIndex) => boolean;

/** The Conv's output feeds exactly one node, of type `op` (so fusing removes a tensor). */
function soleConsumer(op: string): Matcher {
  return (conv, index) => {
    const out = conv.output[0];
    const users = out ? (index.consumers.get(out) ?? []) : [];
    return users.length === 1 && users[0]!.opType === op && !index.graphOutputs.has(out!);
  };
}

/** SiLU after a Conv: y = x · sigmoid(x), with x the Conv output used by exactly that pair. */
const convSiLU: Matcher = (conv, index) => {
  const x = conv.output[0];
  if (!x || index.graphOutputs.has(x)) return false;
  const users = index.consumers.get(x) ?? [];
  const sigmoid = users.find((n) => n.opType === 'Sigmoid');
  const mul = users.find((n) => n.opType === 'Mul');
  if (users.length !== 2 || !sigmoid || !mul) return false;
  const s = sigmoid.output[0];
  return mul.input.length === 2 && mul.input.includes(x) && s !== undefined && mul.input.includes(s);
};

/** Patterns that matter for YOLO-class detectors: what onnxruntime or an exporter can fold away. */
export const FUSION_PATTERNS: ReadonlyArray<{ pattern: string; match: Matcher }> = [
  { pattern: 'Conv→BatchNormalization', match: soleConsumer('BatchNormalization') },
  { pattern: 'Conv→Sigmoid→Mul (SiLU)', match: convSiLU },
  { pattern: 'Conv→Relu', match: soleConsumer('Relu') },
];

export function findFusions(nodes: readonly NodeProto[], index: GraphIndex): FusionOpportunity[] {
  return FUSION_PATTERNS.map(({ pattern, match }) => {
    const hits = nodes.filter((n) => n.opType === 'Conv' && match(n, index));
    return { pattern, count: hits.length, examples: hits.slice(0, 3).map((n) => n.name || n.output[0] || 'Conv') };
  });
}
