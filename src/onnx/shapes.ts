import { opsetVersion, topologicalSort } from './graph.js';
import { SHAPE_RULES } from './shape-rules/index.js';
import { tensorInfo } from './shape-rules/constant.js';
import { valueInfoType } from './shape-rules/dims.js';
import type { OutputInfo, ShapeContext, TensorType } from './shape-rules/types.js';
import type { ModelProto, NodeProto } from './types.js';

export type { Dim, TensorType } from './shape-rules/types.js';
import type { Dim } from './shape-rules/types.js';

export interface ShapeInference {
  /** Element type and shape of every tensor that could be inferred; unknown tensors are absent. */
  types: Map<string, TensorType>;
  /** Contents of small constant tensors (shape vectors, axes, scales) found along the way. */
  values: Map<string, number[]>;
  /** Nodes with at least one output whose type or shape stayed unknown (no rule, or data-dependent). */
  unresolved: NodeProto[];
}

export interface ShapeInferenceOptions {
  /** Shapes to assume for graph inputs instead of the declared ones (e.g. dynamic dims bound to 1). */
  inputShapes?: Readonly<Record<string, readonly Dim[]>>;
}

/** Element type and shape of every tensor in the model's main graph (see {@link runShapeInference}). */
export function inferShapes(model: ModelProto, options: ShapeInferenceOptions = {}): Map<string, TensorType> {
  return runShapeInference(model, options).types;
}

/** Declared input shapes with every dynamic dim bound to 1 (batch 1, and 1 for anything else unknown). */
export function unitInputShapes(model: ModelProto): Record<string, Dim[]> {
  const shapes: Record<string, Dim[]> = {};
  for (const input of model.graph?.input ?? []) {
    const t = valueInfoType(input);
    if (t && t.shape.some((d) => typeof d !== 'number')) shapes[input.name ?? ''] = t.shape.map((d) => (typeof d === 'number' ? d : 1));
  }
  return shapes;
}

/**
 * Walks the graph in topological order applying the per-op rules in `shape-rules/`. Graph inputs
 * and initializers seed it; value_info (and graph output types) fill in what a rule cannot say,
 * e.g. for ops without a rule. Throws EdgeoptError only for shapes that make the model invalid.
 */
export function runShapeInference(model: ModelProto, options: ShapeInferenceOptions = {}): ShapeInference {
  const graph = model.graph;
  const types = new Map<string, TensorType>();
  const values = new Map<string, number[]>();
  const unresolved: NodeProto[] = [];
  if (!graph) return { types, values, unresolved };

  // Declared types fill in what a rule cannot say. A graph output's declared size is only a fallback, never an
  // override of a data-dependent size: exporters write upper bounds there (PicoDet's NMS output says 2125 rows, runs ≤ 100).
  const hints = new Map<string, TensorType & { bound?: boolean }>();
  for (const info of graph.output) {
    const t = valueInfoType(info);
    if (t) hints.set(info.name ?? '', { ...t, bound: true });
  }
  for (const info of graph.valueInfo) {
    const t = valueInfoType(info);
    if (t) hints.set(info.name ?? '', t);
  }
  for (const input of graph.input) {
    const t = valueInfoType(input);
    const assumed = options.inputShapes?.[input.name ?? ''];
    if (t) types.set(input.name ?? '', assumed ? { dataType: t.dataType, shape: [...assumed] } : t);
  }
  for (const tensor of graph.initializer) {
    const info = tensorInfo(tensor);
    const name = tensor.name ?? '';
    if (!types.has(name)) types.set(name, { dataType: info.dataType, shape: info.shape });
    // An initializer also listed in graph.input (old exporters, Paddle2ONNX) could in principle be fed at run time,
    // but nobody feeds weights: its stored value is what the model runs with, so shapes follow from it.
    if (info.value) values.set(name, info.value);
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

/** The rule's answer, with symbolic dims (and a missing dtype) filled in from value_info when ranks agree. */
function mergeWithHint(inferred: OutputInfo | undefined, hint: (TensorType & { bound?: boolean }) | undefined): OutputInfo | undefined {
  if (!inferred) return hint ? { dataType: hint.dataType, shape: [...hint.shape] } : undefined;
  if (!hint || hint.shape.length !== inferred.shape.length) return inferred;
  return {
    ...inferred,
    dataType: inferred.dataType || hint.dataType,
    shape: inferred.shape.map((d, i) => (typeof d === 'number' || (hint.bound && typeof hint.shape[i] === 'number') ? d : hint.shape[i]!)),
  };
}
