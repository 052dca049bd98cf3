import { opsetVersion, topologicalSort } from './graph.js';
import { SHAPE_RULES } from './shape-rules/index.js';
import { tensorInfo } from './shape-rules/constant.js';
import type { Dim, OutputInfo, ShapeContext, TensorType } from './shape-rules/types.js';
import type { ModelProto, NodeProto, ValueInfoProto } from './types.js';

export type { Dim, TensorType } from './shape-rules/types.js';

export interface ShapeInference {
  /** Element type and shape of every tensor that could be inferred; unknown tensors are absent. */
  types: Map<string, TensorType>;
  /** Contents of small constant tensors (shape vectors, axes, scales) found along the way. */
  values: Map<string, number[]>;
  /** Nodes with at least one output whose type or shape stayed unknown (no rule, or data-dependent). */
  unresolved: NodeProto[];
}

/** Element type and shape of every tensor in the model's main graph (see {@link runShapeInference}). */
export function inferShapes(model: ModelProto): Map<string, TensorType> {
  return runShapeInference(model).types;
}

/**
 * Walks the graph in topological order applying the per-op rules in `shape-rules/`. Graph inputs
 * and initializers seed it; value_info (and graph output types) fill in what a rule cannot say,
 * e.g. for ops without a rule. Throws EdgeoptError only for shapes that make the model invalid.
 */
export function runShapeInference(model: ModelProto): ShapeInference {
  const graph = model.graph;
  const types = new Map<string, TensorType>();
  const values = new Map<string, number[]>();
  const unresolved: NodeProto[] = [];
  if (!graph) return { types, values, unresolved };

  const hints = new Map<string, TensorType>();
  for (const info of [...graph.valueInfo, ...graph.output]) {
    const t = valueInfoType(info);
    if (t) hints.set(info.name ?? '', t);
  }
  for (const input of graph.input) {
    const t = valueInfoType(input);
    if (t) types.set(input.name ?? '', t);
  }
  const inputNames = new Set(graph.input.map((i) => i.name ?? ''));
  for (const tensor of graph.initializer) {
    const info = tensorInfo(tensor);
    const name = tensor.name ?? '';
    if (!types.has(name)) types.set(name, { dataType: info.dataType, shape: info.shape });
    // An initializer that is also a graph input can be overridden at run time: not a constant.
    if (info.value && !inputNames.has(name)) values.set(name, info.value);
  }

  let symbols = 0;
  for (const node of topologicalSort(graph)) {
    const ctx: ShapeContext = {
      node,
      opset: opsetVersion(model, node.domain ?? '') ?? opsetVersion(model, '') ?? 1,
      input: (i) => (node.input[i] ? types.get(node.input[i]!) : undefined),
      value: (i) => (node.input[i] ? values.get(node.input[i]!) : undefined),
      has: (i) => Boolean(node.input[i]),
      symbol: () => `unk_${symbols++}`,
    };
    const rule = SHAPE_RULES[node.opType ?? ''];
    const results: Array<OutputInfo | undefined> = rule ? rule(ctx) : [];
    let complete = true;
    node.output.forEach((name, i) => {
      if (!name) return;
      const merged = mergeWithHint(results[i], hints.get(name));
      if (!merged) {
        complete = false;
        return;
      }
      types.set(name, { dataType: merged.dataType, shape: merged.shape });
      if (merged.value) values.set(name, merged.value);
      if (!merged.dataType || merged.shape.some((d) => typeof d !== 'number')) complete = false;
    });
    if (!complete) unresolved.push(node);
  }
  return { types, values, unresolved };
}

function valueInfoType(info: ValueInfoProto): TensorType | undefined {
  const tensorType = info.type?.tensorType;
  if (!tensorType?.shape) return undefined;
  return {
    dataType: tensorType.elemType ?? 0,
    // A dim with neither field set is unknown; protobufjs only gives fields that were present as own properties.
    shape: tensorType.shape.dim.map((d, i): Dim =>
      d.dimParam ? d.dimParam : Object.hasOwn(d, 'dimValue') && d.dimValue !== null ? Number(d.dimValue) : `${info.name ?? ''}_dim${i}`,
    ),
  };
}

/** The rule's answer, with symbolic dims (and a missing dtype) filled in from value_info when ranks agree. */
function mergeWithHint(inferred: OutputInfo | undefined, hint: TensorType | undefined): OutputInfo | undefined {
  if (!inferred) return hint ? { dataType: hint.dataType, shape: [...hint.shape] } : undefined;
  if (!hint || hint.shape.length !== inferred.shape.length) return inferred;
  return {
    ...inferred,
    dataType: inferred.dataType || hint.dataType,
    shape: inferred.shape.map((d, i) => (typeof d === 'number' ? d : hint.shape[i]!)),
  };
}
