import { opsetVersion, removeUnusedInitializers, topologicalSort } from '../onnx/graph.js';
import type { LoadedModel, NodeProto } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { assertNotQuantized } from './already-quantized.js';
import { DynamicQuantizeContext } from './context.js';
import { QUANT_TYPES, type QuantType } from './math.js';
import { dynamicRules } from './rules/index.js';
import type { QuantizeReport, QuantizeResult, SkippedNode } from './types.js';
import { TOOL_VERSION } from '../util/version.js';

export interface DynamicQuantizeOptions {
  /** Default 'uint8' (asymmetric), like onnxruntime's quantize_dynamic and the published study. */
  weightType?: QuantType;
  /** Per-channel weight scales (Conv: per output channel, symmetric; MatMul/Gemm: per column). */
  perChannel?: boolean;
  /** Symmetric weight ranges; default: true for int8, false for uint8 (onnxruntime's WeightSymmetric default). */
  symmetricWeights?: boolean;
  /**
   * Default true: weights that already lie exactly on a quantization grid (a model dequantized from
   * INT8) keep that grid's step instead of onnxruntime's recomputed one, which can be an ulp off.
   * Set false for onnxruntime's formula verbatim.
   */
  snapToGrid?: boolean;
  /** Op types to quantize; default all with a rule (Conv, MatMul, Gemm). */
  opTypes?: string[];
  /** Node names, op types or output tensor names to leave in float. */
  exclude?: string[];
}

/** DynamicQuantizeLinear exists from opset 11 (ConvInteger/MatMulInteger from 10). */
export const MIN_DYNAMIC_OPSET = 11;

/**
 * Dynamic INT8 quantization, the transformation onnxruntime's `quantize_dynamic` performs: weights
 * quantized offline to integer initializers, activations quantized at run time by one
 * DynamicQuantizeLinear per tensor, integer Conv/MatMul, and the result rescaled to float with the
 * product of the two scales (bias added back in float). The input model is not modified.
 */
export function quantizeDynamic(model: LoadedModel, options: DynamicQuantizeOptions = {}): QuantizeResult {
  const weightType = options.weightType ?? 'uint8';
  if (!QUANT_TYPES.includes(weightType)) {
    throw new EdgeoptError(`unknown weight type '${String(weightType)}' (use ${QUANT_TYPES.join(' or ')})`);
  }
  assertNotQuantized(model, 'dynamic INT8');
  const opset = opsetVersion(model);
  if (opset === undefined || opset < MIN_DYNAMIC_OPSET) {
    throw new EdgeoptError(
      `model uses opset ${opset ?? 'none'}; dynamic quantization needs opset ${MIN_DYNAMIC_OPSET} or newer (DynamicQuantizeLinear): re-export the model with a newer opset`,
    );
  }
  const opTypes = new Set(options.opTypes ?? Object.keys(dynamicRules));
  for (const op of opTypes) {
    if (!dynamicRules[op]) {
      throw new EdgeoptError(`cannot quantize op type '${op}' dynamically (supported: ${Object.keys(dynamicRules).join(', ')})`);
    }
  }
  const perChannel = options.perChannel ?? false;
  const symmetricWeights = options.symmetricWeights ?? weightType === 'int8';
  const excludes = new Set(options.exclude ?? []);
  const matchedExcludes = new Set<string>();

  const out = cloneForRewrite(model);
  const graph = out.graph;
  const nodesBefore = graph.node.length;
  const ctx = new DynamicQuantizeContext(graph, {
    weightType,
    perChannel,
    symmetricWeights,
    snapToGrid: options.snapToGrid ?? true,
  });
  const quantized: Record<string, number> = {};
  const skipped: SkippedNode[] = [];
  const rewritten: NodeProto[] = [];
  const inserted: Record<string, number> = {};

  // Topological order guarantees a tensor's DynamicQuantizeLinear, emitted with its first consumer,
  // comes before every other consumer that reuses it.
  for (const node of topologicalSort(graph)) {
    const opType = node.opType ?? '';
    const rule = (node.domain ?? '') === '' ? dynamicRules[opType] : undefined;
    if (!rule || !opTypes.has(opType)) {
      rewritten.push(node);
      continue;
    }
    const label = node.name || node.output[0] || opType;
    const exclusion = [node.name, opType, node.output[0]].find((key) => key && excludes.has(key));
    if (exclusion) {
      matchedExcludes.add(exclusion);
      skipped.push({ node: label, opType, reason: `excluded (${exclusion})` });
      rewritten.push(node);
      continue;
    }
    const reason = rule.check(node, ctx);
    if (reason) {
      skipped.push({ node: label, opType, reason });
      rewritten.push(node);
      continue;
    }
    const replacement = rule.rewrite(node, ctx);
    for (const n of replacement) inserted[n.opType!] = (inserted[n.opType!] ?? 0) + 1;
    rewritten.push(...replacement);
    quantized[opType] = (quantized[opType] ?? 0) + 1;
  }

  graph.node = rewritten;
  graph.initializer.push(...ctx.newInitializers);
  removeUnusedInitializers(graph);
  out.producerName = 'edgeopt.quantize';
  out.producerVersion = TOOL_VERSION;

  const notes: string[] = [];
  if (ctx.weightStats.gridSnapped > 0) {
    notes.push(`${ctx.weightStats.gridSnapped} weight tensor(s) already lay on a quantization grid; their exact grid step was kept`);
  }
  if (perChannel && quantized.Conv) {
    notes.push("per-channel Conv weights are symmetric: onnxruntime's ConvInteger accepts only one weight zero point");
  }
  const report: QuantizeReport = {
    schemaVersion: 1,
    mode: 'dynamic',
    weightType,
    perChannel,
    symmetricWeights,
    quantized,
    quantizedNodes: Object.values(quantized).reduce((a, b) => a + b, 0),
    skipped,
    unmatchedExcludes: [...excludes].filter((e) => !matchedExcludes.has(e)),
    inserted,
    weights: { ...ctx.weightStats },
    nodesBefore,
    nodesAfter: graph.node.length,
    notes,
  };
  return { model: out, report };
}

/** A copy whose lists can be rewritten without touching the caller's model (tensors are shared, read-only). */
function cloneForRewrite(model: LoadedModel): LoadedModel {
  const g = model.graph;
  return {
    ...model,
    opsetImport: model.opsetImport.map((o) => ({ ...o })),
    metadataProps: model.metadataProps.map((e) => ({ ...e })),
    graph: { ...g, node: [...g.node], initializer: [...g.initializer], input: [...g.input], output: [...g.output], valueInfo: [...g.valueInfo] },
  };
}
