import { getAttribute, getIntAttribute, getIntsAttribute, getStringAttribute, makeNode } from '../../onnx/builder.js';
import { indexGraph, opsetVersion, removeNodes, renameInput, replaceNode, uniqueNamer, type GraphIndex } from '../../onnx/graph.js';
import { makeTensor, tensorToArray, tensorToNumbers } from '../../onnx/tensor.js';
import { DataType, type LoadedModel, type NodeProto, type TensorProto } from '../../onnx/types.js';
import type { GraphRewrite, RewriteMatch } from '../rewrite.js';

/**
 * The DFL of Ultralytics heads (YOLOv5u/v8/11): a softmax over each box side's K distance bins, then the expectation
 * Σ p·i as a 1×1 conv (K → 1 channel, weight arange(K), no bias). Exported, the bins sit on axis 1:
 *
 *   Reshape [b,4,K,A] → Transpose [0,2,1,3] → Softmax(axis 1) → Conv 1×1 → Reshape [b,4,A]
 *
 * (opset < 13 exports put the bins last for the softmax and move them back: Transpose [0,1,3,2] → Softmax(axis 3)
 * → Transpose [0,3,1,2] → Conv). onnxruntime's CPU softmax over a non-last axis transposes internally and was the
 * single slowest float op left in an INT8 YOLOv5nu here (3.7 ms). The rewrite keeps the bins on the last axis and
 * takes the expectation as a MatMul with the conv weight as a [K,1] matrix:
 *
 *   Reshape [b,4,K,A] → Transpose [0,1,3,2] → Softmax(axis -1) → MatMul [K,1] → Reshape [b,4,A]
 *
 * It is exact: the same softmax rows and the same K-term dot products (outputs were bit-identical on YOLOv5nu).
 * The conv's [b,1,4,A] and the MatMul's [b,4,A,1] hold the same elements in the same order, so the Reshape that
 * follows is kept as it is (which is why the match insists on that Reshape).
 * Measured on this CPU at 1 thread (YOLOv5nu FP32, same run): MatMul 0.93× the original latency; Mul + ReduceSum
 * 0.935× (not bit-identical); keeping the conv behind a Transpose 0.945×. Static INT8 built from the rewritten graph
 * ran 0.89× the INT8 built from the original, with bit-identical outputs (the DFL stays float in both).
 */
export const dflSoftmax: GraphRewrite = {
  name: 'dfl-softmax',
  summary: 'DFL softmax over the bins axis (1) → softmax over the last axis + MatMul (exact; removes a slow strided softmax)',
  apply(model) {
    const matches = findDflMatches(model);
    for (const match of matches) rewriteDfl(model, match);
    return matches.map((m): RewriteMatch => ({ nodes: m.removed.map((n) => n.name ?? '') }));
  },
};

interface DflMatch {
  /** Original nodes the rewrite removes (in graph order), the conv among them. */
  removed: NodeProto[];
  conv: NodeProto;
  weight: TensorProto;
  /** Where the bin logits come from, when the softmax must be rebuilt on the last axis (bins-on-axis-1 form). */
  logits?: { tensor: string; perm: number[] };
  /** The probabilities when the softmax already runs on the last axis (opset < 13 form): reused as they are. */
  lastAxisProbabilities?: string;
  softmaxName: string;
}

export function findDflMatches(model: LoadedModel): DflMatch[] {
  const graph = model.graph;
  const index = indexGraph(graph);
  const opset = opsetVersion(model) ?? 1;
  const matches: DflMatch[] = [];
  for (const softmax of graph.node) {
    if (softmax.opType !== 'Softmax' || !isDefaultDomain(softmax)) continue;
    const probabilities = softmax.output[0] ?? '';
    const next = onlyConsumer(index, probabilities);
    if (!next) continue;
    // Before opset 13 a Softmax flattens everything from its axis on, so axis 1 there is not a per-bin softmax.
    const axis = getIntAttribute(softmax, 'axis', opset >= 13 ? -1 : 1);
    if ((axis === 1 || axis === -3) && opset >= 13 && next.opType === 'Conv') {
      const weight = expectationWeight(next, probabilities, index);
      if (!weight || !reshapesOnly(next, index)) continue;
      const logits = softmax.input[0] ?? '';
      // Put the bins (axis 1) last; fold a Transpose that only feeds this softmax into the same permutation.
      const toLast = [0, 2, 3, 1];
      const before = index.producer.get(logits);
      const beforePerm = before && before.opType === 'Transpose' && isDefaultDomain(before) && onlyConsumer(index, logits) === softmax
        ? getIntsAttribute(before, 'perm')
        : undefined;
      const folded = beforePerm?.length === 4;
      matches.push({
        removed: folded ? [before!, softmax, next] : [softmax, next],
        conv: next,
        weight,
        logits: folded ? { tensor: before!.input[0]!, perm: toLast.map((i) => beforePerm![i]!) } : { tensor: logits, perm: toLast },
        softmaxName: softmax.name ?? 'dfl',
      });
    } else if ((axis === 3 || axis === -1) && isTransposeWithPerm(next, [0, 3, 1, 2])) {
      // Rank 4 is guaranteed by the Transpose's 4-entry perm, so axis 3/-1 is the last axis in every opset.
      const conv = onlyConsumer(index, next.output[0] ?? '');
      const weight = conv?.opType === 'Conv' ? expectationWeight(conv, next.output[0]!, index) : undefined;
      if (!conv || !weight || !reshapesOnly(conv, index)) continue;
      matches.push({ removed: [next, conv], conv, weight, lastAxisProbabilities: probabilities, softmaxName: softmax.name ?? 'dfl' });
    }
  }
  return matches;
}

function rewriteDfl(model: LoadedModel, match: DflMatch): void {
  const graph = model.graph;
  const fresh = uniqueNamer(graph);
  const bins = Number(match.weight.dims[1]);
  const matrix = fresh(`${match.weight.name ?? 'dfl'}_matrix`);
  graph.initializer.push(makeTensor(matrix, tensorToArray(match.weight), [bins, 1], match.weight.dataType));
  const nodes: NodeProto[] = [];
  let probabilities = match.lastAxisProbabilities;
  if (match.logits) {
    const binsLast = fresh(`${match.softmaxName}_bins_last`);
    probabilities = fresh(`${match.softmaxName}_last_axis`);
    nodes.push(makeNode('Transpose', [match.logits.tensor], [binsLast], { perm: match.logits.perm }, { name: binsLast }));
    nodes.push(makeNode('Softmax', [binsLast], [probabilities], { axis: -1 }, { name: probabilities }));
  }
  const expectation = fresh(`${match.conv.name ?? 'dfl'}_matmul`);
  nodes.push(makeNode('MatMul', [probabilities!, matrix], [expectation], {}, { name: expectation }));
  renameInput(graph, match.conv.output[0]!, expectation);
  replaceNode(graph, match.conv, nodes);
  removeNodes(graph, match.removed.filter((n) => n !== match.conv));
}

/**
 * The conv's weight when it is a plain expectation over bins: 1×1, stride 1, no padding, one group, no bias,
 * K input channels → 1 output, a float32 initializer. Any weight vector works (the MatMul uses it as is).
 */
function expectationWeight(conv: NodeProto, input: string, index: GraphIndex): TensorProto | undefined {
  if (!isDefaultDomain(conv) || conv.input[0] !== input || conv.input[2]) return undefined;
  const weightName = conv.input[1] ?? '';
  const weight = index.initializers.get(weightName);
  // An initializer that is also a graph input can be replaced at run time: not a constant to rewrite.
  if (!weight || index.graphInputs.has(weightName) || weight.dataType !== DataType.FLOAT) return undefined;
  const dims = weight.dims.map(Number);
  if (dims.length !== 4 || dims[0] !== 1 || dims[1]! < 2 || dims[2] !== 1 || dims[3] !== 1) return undefined;
  const all = (name: string, value: number) => (getIntsAttribute(conv, name) ?? []).every((v) => v === value);
  const autoPad = getStringAttribute(conv, 'auto_pad') ?? 'NOTSET';
  const plain = getIntAttribute(conv, 'group', 1) === 1 && all('kernel_shape', 1) && all('strides', 1) && all('dilations', 1) && all('pads', 0);
  return plain && (autoPad === 'NOTSET' || autoPad === 'VALID') ? weight : undefined;
}

/**
 * True when every reader of the conv output is a Reshape whose target shape means the same for [b,1,4,A] and
 * [b,4,A,1]: a run-time shape (the exporter computes explicit sizes) or a constant without copy-dims (0) past the
 * batch, since a 0 at position ≥ 1 would copy a dimension that differs between the two layouts.
 */
function reshapesOnly(conv: NodeProto, index: GraphIndex): boolean {
  const output = conv.output[0] ?? '';
  const readers = index.consumers.get(output) ?? [];
  if (readers.length === 0 || index.graphOutputs.has(output)) return false;
  return readers.every((r) => {
    if (r.opType !== 'Reshape' || !isDefaultDomain(r) || r.input[0] !== output || r.input[1] === output) return false;
    const shape = constantValues(r.input[1] ?? '', index);
    return !shape || getIntAttribute(r, 'allowzero', 0) === 1 || shape.slice(1).every((d) => d !== 0);
  });
}

/** Values of a constant tensor (initializer or Constant node), or undefined when it is computed at run time. */
function constantValues(name: string, index: GraphIndex): number[] | undefined {
  const initializer = index.initializers.get(name);
  if (initializer && !index.graphInputs.has(name)) return tensorToNumbers(initializer);
  const producer = index.producer.get(name);
  if (producer?.opType !== 'Constant') return undefined;
  const value = getAttribute(producer, 'value');
  return value && typeof value === 'object' && 'dims' in value ? tensorToNumbers(value) : getIntsAttribute(producer, 'value_ints');
}

function onlyConsumer(index: GraphIndex, tensor: string): NodeProto | undefined {
  const readers = index.consumers.get(tensor) ?? [];
  return readers.length === 1 && !index.graphOutputs.has(tensor) ? readers[0] : undefined;
}

function isTransposeWithPerm(node: NodeProto, perm: number[]): boolean {
  const actual = node.opType === 'Transpose' && isDefaultDomain(node) ? getIntsAttribute(node, 'perm') : undefined;
  return actual !== undefined && actual.length === perm.length && actual.every((p, i) => p === perm[i]);
}

function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}
