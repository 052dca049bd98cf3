import { getAttribute, getFloatAttribute, getIntAttribute, getIntsAttribute, makeNode } from '../../onnx/builder.js';
import { opsetVersion, setOpsetVersion } from '../../onnx/graph.js';
import { inferShapes, unitInputShapes } from '../../onnx/shapes.js';
import { makeInt64Tensor, makeTensor } from '../../onnx/tensor.js';
import type { GraphProto, LoadedModel, NodeProto } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';

/** QDQ needs opset 13: per-channel DequantizeLinear (`axis`) first appears there. */
export const QDQ_MIN_OPSET = 13;

/** Ops whose attribute became an input at opset 13 (the attribute name and the input position it moves to). */
const ATTRIBUTE_TO_INPUT: Record<string, { attribute: string; input: number }> = {
  Split: { attribute: 'split', input: 1 },
  Squeeze: { attribute: 'axes', input: 1 },
  Unsqueeze: { attribute: 'axes', input: 1 },
  ReduceSum: { attribute: 'axes', input: 1 },
};

/** Ops whose `axis` meaning changed at 13 (flatten-to-2D before, one axis after): equal only on the last axis. */
const AXIS_SEMANTICS_CHANGED = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

/**
 * Ops that were redefined below opset 11 in ways this upgrade does not translate (attributes that became inputs in
 * Pad-11, Slice-10, Clip-11, Resize-11 …). Models that old are rejected rather than silently mis-upgraded.
 */
const OLDEST_SUPPORTED = 11;

/** Every graph of the model: the main graph and, depth first, the bodies of If/Loop/Scan nodes (same opset imports). */
function* allGraphs(graph: GraphProto): Generator<GraphProto> {
  yield graph;
  for (const node of graph.node) {
    for (const attr of node.attribute) {
      if (attr.g) yield* allGraphs(attr.g);
      for (const g of attr.graphs ?? []) yield* allGraphs(g);
    }
  }
}

/** A name generator over every graph of the model (a subgraph may read any outer name). */
function modelNamer(model: LoadedModel): (base: string) => string {
  const taken = new Set<string>();
  for (const g of allGraphs(model.graph)) {
    for (const node of g.node) {
      if (node.name) taken.add(node.name);
      for (const n of [...node.input, ...node.output]) taken.add(n);
    }
    for (const t of g.initializer) taken.add(t.name ?? '');
    for (const v of [...g.input, ...g.output, ...g.valueInfo]) taken.add(v.name ?? '');
  }
  return (base) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}

/**
 * Raises the default-domain opset to 13 in place, rewriting the nodes whose definition changed between the model's
 * opset and 13 — in the main graph and in every subgraph. Returns one note per kind of rewrite; a model already at
 * 13 or newer is untouched.
 */
export function upgradeOpsetForQdq(model: LoadedModel): string[] {
  const from = opsetVersion(model) ?? 1;
  if (from >= QDQ_MIN_OPSET) return [];
  if (from < OLDEST_SUPPORTED) {
    throw new EdgeoptError(`model uses opset ${from}; static quantization needs opset >= ${QDQ_MIN_OPSET} and can only upgrade from opset ${OLDEST_SUPPORTED} or newer (re-export the model with a newer opset)`);
  }
  const name = modelNamer(model);
  // Ranks of the main graph's tensors (shape inference, dynamic dims as 1); subgraph tensors have none here.
  const types = inferShapes(model, { inputShapes: unitInputShapes(model) });
  const counts = { moved: 0, softmax: 0, dropout: 0 };
  for (const graph of allGraphs(model.graph)) {
    const rewritten: NodeProto[] = [];
    for (const node of graph.node) {
      if (node.domain && node.domain !== 'ai.onnx') {
        rewritten.push(node);
        continue;
      }
      const op = node.opType ?? '';
      if (op === 'Upsample' || op === 'Scatter') {
        throw new EdgeoptError(`cannot upgrade ${op} node '${node.name}' to opset ${QDQ_MIN_OPSET} (deprecated op); re-export the model with opset >= ${QDQ_MIN_OPSET}`);
      }
      const move = ATTRIBUTE_TO_INPUT[op];
      if (move) {
        const values = getIntsAttribute(node, move.attribute);
        node.attribute = node.attribute.filter((a) => a.name !== move.attribute);
        if (values) {
          const tensor = makeInt64Tensor(name(`${node.name || op}_${move.attribute}`), values);
          graph.initializer.push(tensor);
          while (node.input.length < move.input) node.input.push('');
          node.input.splice(move.input, 0, tensor.name!);
          counts.moved++;
        }
      } else if (op === 'Dropout' && getAttribute(node, 'ratio') !== undefined) {
        // Dropout-12 takes the ratio as input 1; at inference it is an identity either way.
        const ratio = makeTensor(name(`${node.name || op}_ratio`), Float32Array.of(getFloatAttribute(node, 'ratio', 0.5)), []);
        node.attribute = node.attribute.filter((a) => a.name !== 'ratio');
        graph.initializer.push(ratio);
        node.input = [node.input[0]!, ratio.name!];
        counts.dropout++;
      } else if (op === 'Resize') {
        // Resize-11 marks an unused roi/scales with an empty tensor; from 13 that reads as "given" (onnxruntime then
        // rejects scales together with sizes) unless the input name is left empty, which 13 allows.
        for (const position of [1, 2]) {
          const name = node.input[position];
          const tensor = name ? graph.initializer.find((t) => t.name === name) : undefined;
          if (tensor && tensor.dims.length === 1 && Number(tensor.dims[0]) === 0) node.input[position] = '';
        }
      } else if (AXIS_SEMANTICS_CHANGED.has(op)) {
        const rank = types.get(node.input[0] ?? '')?.shape.length;
        const replacement = upgradeAxisOp(node, rank, name);
        if (replacement.length > 1) counts.softmax++;
        rewritten.push(...replacement);
        continue;
      }
      rewritten.push(node);
    }
    graph.node = rewritten;
  }
  const done = [
    counts.moved ? `moved ${counts.moved} attribute(s) to inputs (Split/Squeeze/Unsqueeze/ReduceSum)` : '',
    counts.softmax ? `rewrote ${counts.softmax} Softmax-like node(s) over a non-last axis as Flatten → op → Reshape (exact)` : '',
    counts.dropout ? `moved ${counts.dropout} Dropout ratio(s) to inputs` : '',
  ].filter(Boolean);
  setOpsetVersion(model, QDQ_MIN_OPSET);
  if ((model.irVersion ?? 0) < 7) model.irVersion = 7;
  return [`opset ${from} → ${QDQ_MIN_OPSET}${done.length ? `: ${done.join('; ')}` : ''}`];
}

/**
 * Softmax/LogSoftmax/Hardmax before opset 13 flatten the input to 2-D at `axis` (default 1) and normalise over the
 * second dim; from 13 they normalise over `axis` alone. The two agree when `axis` is the last axis. Otherwise the old
 * meaning is spelled out exactly: Flatten(axis) → op(axis -1) → Reshape back to Shape(x).
 */
function upgradeAxisOp(node: NodeProto, rank: number | undefined, name: (base: string) => string): NodeProto[] {
  const axis = getIntAttribute(node, 'axis', 1);
  const last = axis === -1 || (rank !== undefined && (axis < 0 ? axis + rank : axis) === rank - 1);
  if (last) return [node];
  const x = node.input[0]!;
  const y = node.output[0]!;
  const base = node.name || y;
  const flat = name(`${base}_flat`);
  const normalised = name(`${base}_2d`);
  const shape = name(`${base}_shape`);
  return [
    makeNode('Flatten', [x], [flat], { axis }, { name: name(`${base}_Flatten`) }),
    { ...node, input: [flat], output: [normalised], attribute: [...node.attribute.filter((a) => a.name !== 'axis'), makeNode('', [], [], { axis: -1 }).attribute[0]!] },
    makeNode('Shape', [x], [shape], {}, { name: name(`${base}_Shape`) }),
    makeNode('Reshape', [normalised, shape], [y], {}, { name: name(`${base}_Reshape`) }),
  ];
}
