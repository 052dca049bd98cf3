import { getIntAttribute, makeNode } from '../../onnx/builder.js';
import { indexGraph, removeNodes, uniqueNamer, type GraphIndex } from '../../onnx/graph.js';
import { runShapeInference, type Dim } from '../../onnx/shapes.js';
import { makeInt64Tensor } from '../../onnx/tensor.js';
import type { LoadedModel, NodeProto } from '../../onnx/types.js';
import type { GraphRewrite, RewriteMatch } from '../rewrite.js';

/**
 * Detection heads with several branches per level (Ultralytics' box and class branches, NanoDet/PicoDet-style heads)
 * often merge everything and take it apart again:
 *
 *   per level i:  Concat_i(box_i, cls_i; axis 1) → Reshape_i [b, C, h·w]
 *   Concat(Reshape_0 … Reshape_n; axis 2) → Split([C_box, C_cls]; axis 1) → box [b, C_box, A], cls [b, C_cls, A]
 *
 * The Split undoes the per-level Concats, so the same tensors come out of
 *
 *   box = Concat(Reshape(box_0) … Reshape(box_n); axis 2),  cls = Concat(Reshape(cls_0) … ; axis 2)
 *
 * which moves every value once instead of three times (YOLOv5nu: 1.2 M floats copied twice less per image) and lets a
 * quantized model keep each branch on its own scale up to the point where it is decoded. Exact: same values, same order.
 *
 * Matched only when the Reshapes merge the axes after the split axis (so that splitting and reshaping commute),
 * the inner Concats run along the split axis with inputs of exactly the split sizes, and no intermediate tensor is
 * read anywhere else.
 */
export const concatSplit: GraphRewrite = {
  name: 'concat-split',
  summary: 'Split(Concat(Reshape(Concat(branches)))) → one Concat per branch (exact; removes two copies of the head output)',
  apply(model) {
    const matches = findConcatSplits(model);
    const graph = model.graph;
    const name = uniqueNamer(graph);
    for (const m of matches) {
      const added: NodeProto[] = [];
      m.sizes.forEach((size, j) => {
        const shapeName = name(`${m.split.name || 'split'}_branch${j}_shape`);
        graph.initializer.push(makeInt64Tensor(shapeName, [...Array<number>(m.axis).fill(0), size, ...m.trailing]));
        const parts = m.levels.map((level) => {
          const source = level.inner.input[j]!;
          const flat = name(`${source}_flat`);
          added.push(makeNode('Reshape', [source, shapeName], [flat], {}, { name: name(`${source}_flat_Reshape`) }));
          return flat;
        });
        added.push(makeNode('Concat', parts, [m.split.output[j]!], { axis: m.outerAxis }, { name: name(`${m.split.name || 'split'}_branch${j}_Concat`) }));
      });
      const at = graph.node.indexOf(m.split);
      graph.node.splice(at, 0, ...added);
      removeNodes(graph, m.removed);
    }
    return matches.map((m): RewriteMatch => ({ nodes: m.removed.map((n) => n.name ?? '') }));
  },
};

interface ConcatSplitMatch {
  split: NodeProto;
  /** Axis of the split and of the inner Concats. */
  axis: number;
  /** Axis of the outer Concat (over levels). */
  outerAxis: number;
  sizes: number[];
  /** Dims after the split axis in the reshaped tensors (the same for every branch). */
  trailing: number[];
  levels: Array<{ inner: NodeProto; reshape: NodeProto }>;
  removed: NodeProto[];
}

const normalise = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function onlyReader(index: GraphIndex, tensor: string): NodeProto | undefined {
  const readers = index.consumers.get(tensor) ?? [];
  return readers.length === 1 && !index.graphOutputs.has(tensor) ? readers[0] : undefined;
}

function isDefault(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

function concreteDims(dims: Dim[] | undefined): number[] | undefined {
  return dims && dims.every((d) => typeof d === 'number') ? (dims as number[]) : undefined;
}

export function findConcatSplits(model: LoadedModel): ConcatSplitMatch[] {
  const graph = model.graph;
  // Cheap structural test first: shape inference is only worth running when a Split reads a Concat.
  const producers = new Map(graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  if (!graph.node.some((n) => n.opType === 'Split' && producers.get(n.input[0] ?? '')?.opType === 'Concat')) return [];
  const index = indexGraph(graph);
  let types: ReturnType<typeof runShapeInference>['types'];
  try {
    types = runShapeInference(model).types;
  } catch {
    return []; // a graph our shape rules cannot follow is left as it is: this rewrite needs exact shapes
  }
  const matches: ConcatSplitMatch[] = [];
  for (const split of graph.node) {
    if (split.opType !== 'Split' || !isDefault(split)) continue;
    const outer = index.producer.get(split.input[0] ?? '');
    if (outer?.opType !== 'Concat' || !isDefault(outer) || onlyReader(index, outer.output[0]!) !== split) continue;
    const outShape = concreteDims(types.get(outer.output[0]!)?.shape);
    if (!outShape) continue;
    const rank = outShape.length;
    const axis = normalise(getIntAttribute(split, 'axis', 0), rank);
    const outerAxis = normalise(getIntAttribute(outer, 'axis', 0), rank);
    // The sizes the split produced, whichever way they were given (attribute, input, or equal parts).
    const sizes = split.output.map((o) => concreteDims(types.get(o)?.shape)?.[axis]);
    if (sizes.some((s) => s === undefined)) continue;
    if (!sizes || sizes.length !== split.output.length || sizes.length < 2 || outerAxis <= axis) continue;
    const levels: ConcatSplitMatch['levels'] = [];
    let trailing: number[] | undefined;
    let ok = true;
    for (const input of outer.input) {
      const reshape = index.producer.get(input);
      const inner = reshape && index.producer.get(reshape.input[0] ?? '');
      if (reshape?.opType !== 'Reshape' || !isDefault(reshape) || onlyReader(index, input) !== outer || inner?.opType !== 'Concat' || !isDefault(inner)) {
        ok = false;
        break;
      }
      const innerShape = concreteDims(types.get(inner.output[0]!)?.shape);
      const reshaped = concreteDims(types.get(reshape.output[0]!)?.shape);
      if (!innerShape || !reshaped || reshaped.length !== rank || onlyReader(index, inner.output[0]!) !== reshape) {
        ok = false;
        break;
      }
      // The reshape keeps every axis up to the split axis and only merges (or splits) the ones after it.
      const keepsLeading = innerShape.slice(0, axis + 1).every((d, i) => d === reshaped[i]);
      const innerAxis = normalise(getIntAttribute(inner, 'axis', 0), innerShape.length);
      const branchSizes = inner.input.map((t) => concreteDims(types.get(t)?.shape)?.[innerAxis]);
      if (!keepsLeading || innerAxis !== axis || branchSizes.length !== sizes.length || branchSizes.some((size, j) => size !== sizes[j])) {
        ok = false;
        break;
      }
      const levelTrailing = reshaped.slice(axis + 1);
      // Every level's trailing dims agree except along the outer axis (the anchors): write that one as -1.
      const pattern = levelTrailing.map((d, i) => (axis + 1 + i === outerAxis ? -1 : d));
      if (trailing && trailing.join(',') !== pattern.join(',')) {
        ok = false;
        break;
      }
      trailing = pattern;
      levels.push({ inner, reshape });
    }
    if (!ok || !trailing || levels.length === 0 || trailing.filter((d) => d === -1).length > 1) continue;
    matches.push({ split, axis, outerAxis, sizes: sizes as number[], trailing, levels, removed: [...levels.flatMap((l) => [l.inner, l.reshape]), outer, split] });
  }
  return matches;
}
