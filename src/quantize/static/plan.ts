import { indexGraph, topologicalSort } from '../../onnx/graph.js';
import { inferShapes } from '../../onnx/shapes.js';
import { dataTypeName } from '../../onnx/tensor.js';
import { DataType, type GraphProto, type LoadedModel, type NodeProto } from '../../onnx/types.js';
import { findDetectionHead, type HeadExclusion } from './head.js';
import { STATIC_OP_RULES, selectedOpTypes, type StaticOpRule, type StaticOpSelection } from './ops.js';

export interface PlanOptions {
  ops: StaticOpSelection;
  /** Node names, op types or output tensor names to keep in float. */
  exclude: readonly string[];
  /** Which part of an automatically found detection head stays float (false: quantize it too). */
  head: HeadExclusion | false;
  /** Keep convolutions reading the graph input with <= 4 channels (the stem) in float. */
  skipStem: boolean;
  /**
   * Concat nodes (names, or true for every quantized one) whose inputs and output share one scale, the union of
   * their ranges: onnxruntime's QLinearConcat then copies bytes instead of requantizing each input through a table.
   */
  sharedScaleConcats?: boolean | readonly string[];
}

export interface FloatNode {
  node: string;
  opType: string;
  reason: string;
}

/** Which nodes become QDQ, and which activation tensors that needs ranges for. */
export interface QuantPlan {
  /** Quantized nodes, in topological order. */
  nodes: NodeProto[];
  /** Activation tensors that need their own calibrated range. */
  calibrated: string[];
  /** Tensors that reuse another tensor's scale and zero point (same-scale ops: output → root input; shared-scale groups → their first member). */
  aliases: Map<string, string>;
  /** Shared-scale groups: representative → every member tensor (the representative included); its range is their union. */
  groups: Map<string, string[]>;
  /** Nodes with a quantization rule that stay float, and why. */
  float: FloatNode[];
  head?: { decode: string[]; finalConvs: string[] };
  unmatchedExcludes: string[];
}

/** A stem conv reads the graph input directly and has few input channels: too little work per output to gain from int8. */
export function isStemConv(node: NodeProto, graph: GraphProto, initializers: Map<string, { dims: number[] }>): boolean {
  if (node.opType !== 'Conv') return false;
  const isGraphInput = graph.input.some((i) => i.name === node.input[0]) && !initializers.has(node.input[0] ?? '');
  const weight = initializers.get(node.input[1] ?? '');
  return isGraphInput && weight !== undefined && Number(weight.dims[1]) <= 4;
}

/**
 * Which nodes to quantize. Only float32 activations are quantized: element types come from shape inference, so a
 * Concat or Mul of int64 shape values (torch exports build Reshape targets that way) stays as it is.
 */
export function planStaticQuantization(model: LoadedModel, options: PlanOptions): QuantPlan {
  const graph = model.graph;
  const index = indexGraph(graph);
  const types = inferShapes(model);
  const notFloat = (node: NodeProto, rule: StaticOpRule): string | undefined => {
    const tensors = [...rule.activationInputs(node).map((i) => node.input[i]).filter((t): t is string => !!t && !index.initializers.has(t)), node.output[0]!];
    for (const t of tensors) {
      const type = types.get(t)?.dataType;
      if (type !== DataType.FLOAT) return `'${t}' is ${type ? dataTypeName(type) : 'of unknown type'}, not a float32 activation`;
    }
    return undefined;
  };
  const order = topologicalSort(graph);
  const opTypes = new Set(selectedOpTypes(options.ops));
  const exclude = new Set(options.exclude);
  const matched = new Set<string>();
  const head = options.head ? findDetectionHead(graph) : undefined;
  const decode = new Set(head?.decode ?? []);
  const finalConvs = new Set(options.head === 'final-convs' ? (head?.finalConvs ?? []) : []);
  // The stem block: the stem conv plus the SiLU (Sigmoid, Mul) reading its output. Float, the three fuse into one
  // conv + activation; quantized alone, the activation pays a quantize and two int8 lookups on the largest tensor.
  const stemBlock = new Set<NodeProto>();
  if (options.skipStem) {
    for (const node of order) {
      if (!isStemConv(node, graph, index.initializers)) continue;
      stemBlock.add(node);
      const consumers = index.consumers.get(node.output[0]!) ?? [];
      const sigmoid = consumers.find((c) => c.opType === 'Sigmoid');
      const mul = consumers.find((c) => c.opType === 'Mul' && !!sigmoid && c.input.includes(sigmoid.output[0]!));
      if (sigmoid && mul) stemBlock.add(sigmoid).add(mul);
    }
  }
  const nodes: NodeProto[] = [];
  const float: FloatNode[] = [];
  for (const node of order) {
    const op = node.opType ?? '';
    const rule = STATIC_OP_RULES[op];
    const userExcluded = [node.name ?? '', op, ...node.output].filter((key) => exclude.has(key));
    for (const key of userExcluded) matched.add(key);
    if (!rule || !opTypes.has(op) || (node.domain && node.domain !== 'ai.onnx')) continue;
    const reason = userExcluded.length > 0
      ? 'excluded by option'
      : decode.has(node)
        ? 'detection head (decoding)'
        : finalConvs.has(node)
          ? 'detection head (final conv of a branch)'
          : stemBlock.has(node)
            ? 'stem block (conv on the image + its activation)'
            : (rule.unsupported?.(node, index) ?? notFloat(node, rule));
    if (reason) float.push({ node: node.name ?? '', opType: op, reason });
    else nodes.push(node);
  }
  const calibrated = new Set<string>();
  const aliases = new Map<string, string>();
  const root = (t: string) => aliases.get(t) ?? t;
  for (const node of nodes) {
    const rule = STATIC_OP_RULES[node.opType ?? '']!;
    const inputs = rule.activationInputs(node).map((i) => node.input[i]).filter((t): t is string => !!t && !index.initializers.has(t));
    const output = node.output[0]!;
    if (rule.kind === 'same-scale') {
      aliases.set(output, root(inputs[0]!));
      if (!aliases.has(inputs[0]!)) calibrated.add(inputs[0]!);
      continue;
    }
    for (const t of inputs) if (!aliases.has(t)) calibrated.add(t);
    calibrated.add(output);
  }
  const groups = shareConcatScales(nodes, options.sharedScaleConcats ?? false, aliases, index.initializers);
  return {
    nodes,
    calibrated: [...calibrated],
    aliases,
    groups,
    float,
    head: head ? { decode: head.decode.map((n) => n.name ?? ''), finalConvs: head.finalConvs.map((n) => n.name ?? '') } : undefined,
    unmatchedExcludes: [...exclude].filter((e) => !matched.has(e)),
  };
}

/**
 * Merges each selected Concat's inputs and output into one scale group (their roots, so that a MaxPool or Resize
 * output already sharing its input's scale comes along). A tensor belongs to one group at most: a Concat whose
 * tensors are already grouped with another Concat's is left with its own scales (chaining groups would widen
 * every member's range to the widest of them all).
 */
function shareConcatScales(
  nodes: readonly NodeProto[],
  selection: boolean | readonly string[],
  aliases: Map<string, string>,
  initializers: ReadonlyMap<string, unknown>,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  if (selection === false) return groups;
  const chosen = selection === true ? undefined : new Set(selection);
  const grouped = new Set<string>();
  const root = (t: string) => aliases.get(t) ?? t;
  for (const node of nodes) {
    if (node.opType !== 'Concat' || (chosen && !chosen.has(node.name ?? ''))) continue;
    const members = [...new Set([...node.input.filter((t) => t && !initializers.has(t)).map(root), root(node.output[0]!)])];
    if (members.length < 2 || members.some((m) => grouped.has(m))) continue;
    const representative = members[0]!;
    for (const m of members) grouped.add(m);
    groups.set(representative, members);
    const others = new Set(members.slice(1));
    for (const [t, r] of aliases) if (others.has(r)) aliases.set(t, representative);
    for (const m of others) aliases.set(m, representative);
  }
  return groups;
}
