import { indexGraph, topologicalSort } from '../../onnx/graph.js';
import type { GraphProto, NodeProto } from '../../onnx/types.js';

/**
 * The detection head of a YOLO-style graph, found from structure alone (no node names):
 * - `decode`: every node after the last "real" convolution of each branch — box decoding, class sigmoid, the
 *   final Concat, and the DFL (Softmax over distance bins followed by a fixed 1×1 conv). Their ranges are huge or
 *   mix unrelated quantities, which is why quantizing them makes INT8 YOLOs detect nothing.
 * - `finalConvs`: the last convolution of each head branch (the ones that feed `decode` directly).
 */
export interface DetectionHead {
  decode: NodeProto[];
  finalConvs: NodeProto[];
  /** A Concat that merges the outputs of several head branches (the evidence that this is a detection head). */
  merge: NodeProto;
}

/** How much of the head stays float: only the decoding, or also the last conv of each branch. */
export type HeadExclusion = 'decode' | 'final-convs';

const SHAPE_ONLY = new Set(['Reshape', 'Transpose', 'Identity', 'Flatten', 'Squeeze', 'Unsqueeze']);

/** The DFL conv: a Conv fed (through reshapes) by a Softmax — a fixed expectation over bins, not a learned layer. */
function isDflConv(node: NodeProto, producer: Map<string, NodeProto>): boolean {
  let current = producer.get(node.input[0] ?? '');
  for (let steps = 0; current && steps < 4; steps++) {
    if (current.opType === 'Softmax') return true;
    if (!SHAPE_ONLY.has(current.opType ?? '')) return false;
    current = producer.get(current.input[0] ?? '');
  }
  return false;
}

export function findDetectionHead(graph: GraphProto): DetectionHead | undefined {
  const index = indexGraph(graph);
  const order = topologicalSort(graph);
  const isBodyConv = (n: NodeProto) => n.opType === 'Conv' && !isDflConv(n, index.producer);
  // Which nodes have a body conv somewhere downstream (reverse topological sweep).
  const feedsConv = new Set<NodeProto>();
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    const consumers = node.output.flatMap((o) => index.consumers.get(o) ?? []);
    if (consumers.some((c) => isBodyConv(c) || feedsConv.has(c))) feedsConv.add(node);
  }
  const decode = order.filter((n) => !feedsConv.has(n) && !isBodyConv(n));
  const decodeSet = new Set(decode);
  const finalConvs = order.filter(
    (n) => isBodyConv(n) && n.output.every((o) => (index.consumers.get(o) ?? []).every((c) => decodeSet.has(c))) && !index.graphOutputs.has(n.output[0] ?? ''),
  );
  // Evidence: a Concat inside the decode region that (transitively) merges two or more final convs.
  const reaches = new Map<NodeProto, Set<NodeProto>>();
  for (const node of order) {
    if (!decodeSet.has(node)) continue;
    const from = new Set<NodeProto>();
    for (const input of node.input) {
      const p = index.producer.get(input);
      if (!p) continue;
      if (finalConvs.includes(p)) from.add(p);
      for (const c of reaches.get(p) ?? []) from.add(c);
    }
    reaches.set(node, from);
  }
  const merge = decode.find((n) => n.opType === 'Concat' && (reaches.get(n)?.size ?? 0) >= 2);
  if (!merge || finalConvs.length < 2) return undefined;
  return { decode, finalConvs, merge };
}
