import { indexGraph, nodeReads, type GraphIndex } from '../../onnx/graph.js';
import { tensorToArray, tensorToFloat32 } from '../../onnx/tensor.js';
import type { GraphProto, NodeProto, TensorProto } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';

/**
 * What every dequantization rule works with: the graph, fresh indexes, a name generator, and a record of what
 * was rebuilt or left alone. Rules never delete nodes themselves: they rewire, and {@link removeDeadNodes} drops
 * whatever no longer feeds an output.
 */
export interface DequantizeContext {
  graph: GraphProto;
  index: GraphIndex;
  name: (base: string) => string;
  /** "ConvInteger → Conv" → count. */
  rebuilt: Record<string, number>;
  /** Nodes left as they were, with the reason. */
  skipped: Array<{ node: string; opType: string; reason: string }>;
}

export function reindex(ctx: DequantizeContext): void {
  ctx.index = indexGraph(ctx.graph);
}

export function count(ctx: DequantizeContext, what: string): void {
  ctx.rebuilt[what] = (ctx.rebuilt[what] ?? 0) + 1;
}

/** The one consumer of a tensor, or undefined when it has none, several, or is also a graph output. */
export function soleConsumer(ctx: DequantizeContext, tensor: string): NodeProto | undefined {
  const consumers = ctx.index.consumers.get(tensor) ?? [];
  return consumers.length === 1 && !ctx.index.graphOutputs.has(tensor) ? consumers[0] : undefined;
}

/** The values of a constant: an initializer, or a Constant node's tensor. */
export function constantTensor(ctx: DequantizeContext, name: string | undefined): TensorProto | undefined {
  if (!name) return undefined;
  const init = ctx.index.initializers.get(name);
  if (init) return init;
  const producer = ctx.index.producer.get(name);
  if (producer?.opType !== 'Constant') return undefined;
  return producer.attribute.find((a) => a.name === 'value')?.t;
}

/**
 * (q − zero point) × scale for an integer tensor, with one scale (and zero point) per tensor or per slice along
 * `axis`. Each value is the float32 product, as numpy computes it in float32.
 */
export function dequantizeValues(q: TensorProto, scale: TensorProto, zeroPoint: TensorProto | undefined, axis: number): Float32Array {
  const values = tensorToArray(q) as ArrayLike<number>;
  const scales = tensorToFloat32(scale);
  const zeros = zeroPoint ? Array.from(tensorToArray(zeroPoint) as ArrayLike<number | bigint>, Number) : [0];
  const dims = q.dims.map(Number);
  const a = axis < 0 ? axis + dims.length : axis;
  const channels = scales.length;
  if (channels !== 1 && channels !== dims[a]) {
    throw new EdgeoptError(`cannot dequantize '${q.name}': ${channels} scales for axis ${a} of size ${dims[a]}`);
  }
  const inner = dims.slice(a + 1).reduce((x, y) => x * y, 1);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = Math.fround((Number(values[i]) - (zeros[zeros.length === 1 ? 0 : c] ?? 0)) * scales[c]!);
  }
  return out;
}

/** Every node whose outputs nobody reads (and that are not graph outputs), repeatedly: what rewiring left behind. */
export function removeDeadNodes(graph: GraphProto): number {
  let removed = 0;
  for (;;) {
    // What is read: node inputs and the outer tensors If/Loop bodies use.
    const read = new Set([...graph.node.flatMap((n) => nodeReads(n)), ...graph.output.map((o) => o.name ?? '')]);
    const alive = graph.node.filter((n) => n.output.some((o) => o && read.has(o)));
    if (alive.length === graph.node.length) return removed;
    removed += graph.node.length - alive.length;
    graph.node = alive;
  }
}
