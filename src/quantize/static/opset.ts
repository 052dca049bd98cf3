import { getAttribute, getIntAttribute, getIntsAttribute } from '../../onnx/builder.js';
import { opsetVersion, setOpsetVersion, uniqueNamer } from '../../onnx/graph.js';
import { makeInt64Tensor } from '../../onnx/tensor.js';
import type { LoadedModel, NodeProto, ValueInfoProto } from '../../onnx/types.js';
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

function rankOf(name: string, valueInfo: Map<string, ValueInfoProto>): number | undefined {
  return valueInfo.get(name)?.type?.tensorType?.shape?.dim.length;
}

/**
 * Raises the default-domain opset to 13 in place, rewriting the nodes whose definition changed between the model's
 * opset and 13. Returns one note per rewrite; a model already at 13 or newer is untouched.
 */
export function upgradeOpsetForQdq(model: LoadedModel): string[] {
  const from = opsetVersion(model) ?? 1;
  if (from >= QDQ_MIN_OPSET) return [];
  if (from < OLDEST_SUPPORTED) {
    throw new EdgeoptError(`model uses opset ${from}; static quantization needs opset >= ${QDQ_MIN_OPSET} and can only upgrade from opset ${OLDEST_SUPPORTED} or newer (re-export the model with a newer opset)`);
  }
  const graph = model.graph;
  const name = uniqueNamer(graph);
  const valueInfo = new Map([...graph.input, ...graph.valueInfo, ...graph.output].map((v) => [v.name ?? '', v]));
  const notes: string[] = [];
  let moved = 0;
  for (const node of graph.node) {
    if (node.domain && node.domain !== 'ai.onnx') continue;
    const op = node.opType ?? '';
    const move = ATTRIBUTE_TO_INPUT[op];
    if (move) {
      const values = getIntsAttribute(node, move.attribute);
      node.attribute = node.attribute.filter((a) => a.name !== move.attribute);
      if (values) {
        const tensor = makeInt64Tensor(name(`${node.name || op}_${move.attribute}`), values);
        graph.initializer.push(tensor);
        while (node.input.length < move.input) node.input.push('');
        node.input.splice(move.input, 0, tensor.name!);
        moved++;
      }
      continue;
    }
    if (AXIS_SEMANTICS_CHANGED.has(op)) upgradeAxisOp(node, valueInfo);
    if (op === 'Upsample' || op === 'Scatter') {
      throw new EdgeoptError(`cannot upgrade ${op} node '${node.name}' to opset ${QDQ_MIN_OPSET} (deprecated op); re-export the model with opset >= ${QDQ_MIN_OPSET}`);
    }
  }
  if (moved > 0) notes.push(`opset ${from} → ${QDQ_MIN_OPSET}: moved ${moved} attribute(s) to inputs (Split/Squeeze/Unsqueeze/ReduceSum)`);
  else notes.push(`opset ${from} → ${QDQ_MIN_OPSET}`);
  setOpsetVersion(model, QDQ_MIN_OPSET);
  if ((model.irVersion ?? 0) < 7) model.irVersion = 7;
  return notes;
}

function upgradeAxisOp(node: NodeProto, valueInfo: Map<string, ValueInfoProto>): void {
  const axis = getIntAttribute(node, 'axis', 1);
  if (axis === -1) return;
  const rank = rankOf(node.input[0] ?? '', valueInfo);
  if (rank !== undefined && (axis === rank - 1 || (axis < 0 && axis + rank === rank - 1))) return;
  const shown = getAttribute(node, 'axis') === undefined ? `default axis 1` : `axis ${axis}`;
  throw new EdgeoptError(
    `cannot upgrade ${node.opType} node '${node.name}' (${shown}${rank === undefined ? ', unknown rank' : ` of rank ${rank}`}) to opset ${QDQ_MIN_OPSET}: its axis semantics changed; re-export the model with opset >= ${QDQ_MIN_OPSET}`,
  );
}
