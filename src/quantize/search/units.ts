import { indexGraph, topologicalSort } from '../../onnx/graph.js';
import { inferShapes } from '../../onnx/shapes.js';
import type { LoadedModel, NodeProto } from '../../onnx/types.js';
import { planStaticQuantization } from '../static/plan.js';

/**
 * The search's decision units: the nodes that go int8 or stay float together. A conv and the activation reading
 * only its output (SiLU's Sigmoid + Mul, or a Relu) are one unit — onnxruntime runs them back to back, and splitting
 * them would put a DequantizeLinear/QuantizeLinear pass on the conv's output for nothing. Every other node the
 * static quantizer has a rule for is a unit of its own. The detection head's decoding (box arithmetic, DFL, final
 * Concat) is not a unit: it stays float, because its ranges mix unrelated quantities.
 */
export interface SearchUnit {
  id: number;
  /** Node names, the unit's main node first. */
  nodes: string[];
  /** Op type of the main node. */
  opType: string;
  /** Output tensors of the unit's nodes. */
  outputs: string[];
}

export interface UnitGraph {
  units: SearchUnit[];
  /** Node name → unit id. */
  unitOf: Map<string, number>;
  /** Nodes kept float whatever the configuration (head decoding, no rule, not float32), with why. */
  fixedFloat: Array<{ node: string; opType: string; reason: string }>;
  /** Tensor edges that can cross precision: producer unit (-1: float / graph input), consumer units, elements. */
  edges: Array<{ tensor: string; producer: number; consumers: number[]; elements: number }>;
}

const ACTIVATIONS = new Set(['Relu', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Clip']);

export function buildUnits(model: LoadedModel): UnitGraph {
  const graph = model.graph;
  const plan = planStaticQuantization(model, { ops: 'all', exclude: [], head: 'decode', skipStem: false });
  const candidates = new Set(plan.nodes);
  const index = indexGraph(graph);
  const units: SearchUnit[] = [];
  const unitOf = new Map<string, number>();
  const taken = new Set<NodeProto>();
  for (const node of topologicalSort(graph)) {
    if (!candidates.has(node) || taken.has(node)) continue;
    const members = [node];
    if (node.opType === 'Conv') {
      const out = node.output[0]!;
      const readers = index.consumers.get(out) ?? [];
      const sigmoid = readers.find((r) => r.opType === 'Sigmoid' && candidates.has(r));
      const mul = sigmoid && readers.find((r) => r.opType === 'Mul' && r.input.includes(sigmoid.output[0]!) && candidates.has(r));
      if (sigmoid && mul && readers.length === 2 && !index.graphOutputs.has(out)) members.push(sigmoid, mul);
      else if (readers.length === 1 && ACTIVATIONS.has(readers[0]!.opType ?? '') && candidates.has(readers[0]!)) members.push(readers[0]!);
    }
    const id = units.length;
    for (const m of members) {
      taken.add(m);
      unitOf.set(m.name ?? '', id);
    }
    units.push({ id, nodes: members.map((m) => m.name ?? ''), opType: node.opType ?? '', outputs: members.flatMap((m) => m.output) });
  }
  const types = inferShapes(model);
  const elements = (t: string) => {
    const shape = types.get(t)?.shape;
    return shape && shape.every((d) => typeof d === 'number') ? (shape as number[]).reduce((a, b) => a * b, 1) : 0;
  };
  const edges: UnitGraph['edges'] = [];
  const producers = new Map<string, number>();
  for (const node of graph.node) for (const o of node.output) producers.set(o, unitOf.get(node.name ?? '') ?? -1);
  const readersOf = new Map<string, Set<number>>();
  for (const node of graph.node) {
    const u = unitOf.get(node.name ?? '') ?? -1;
    for (const t of node.input) {
      if (!t || index.initializers.has(t)) continue;
      // Reads inside one unit (the SiLU's Mul reading the conv output) never cross precision.
      if (u >= 0 && producers.get(t) === u) continue;
      let set = readersOf.get(t);
      if (!set) readersOf.set(t, (set = new Set()));
      set.add(u);
    }
  }
  for (const o of graph.output) if (o.name) (readersOf.get(o.name) ?? readersOf.set(o.name, new Set()).get(o.name)!).add(-1);
  for (const [tensor, readers] of readersOf) {
    const producer = producers.get(tensor) ?? -1;
    const consumers = [...readers];
    if (producer < 0 && consumers.every((c) => c < 0)) continue;
    edges.push({ tensor, producer, consumers, elements: elements(tensor) });
  }
  return { units, unitOf, fixedFloat: plan.float.filter((f) => !unitOf.has(f.node)), edges };
}

/** Elements crossing float→int8 (QuantizeLinear) and int8→float (DequantizeLinear) for a configuration. */
export function boundaryElements(graph: UnitGraph, int8: ReadonlySet<number>): { toInt8: number; toFloat: number } {
  let toInt8 = 0;
  let toFloat = 0;
  const isInt8 = (u: number) => u >= 0 && int8.has(u);
  for (const e of graph.edges) {
    const producerInt8 = isInt8(e.producer);
    if (producerInt8 && e.consumers.some((c) => !isInt8(c))) toFloat += e.elements;
    if (!producerInt8 && e.consumers.some((c) => isInt8(c))) toInt8 += e.elements;
  }
  return { toInt8, toFloat };
}

/** Nodes to keep float for a configuration: every unit not in `int8`. */
export function floatNodesOf(graph: UnitGraph, int8: ReadonlySet<number>): string[] {
  return graph.units.filter((u) => !int8.has(u.id)).flatMap((u) => u.nodes);
}
