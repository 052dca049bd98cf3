import { describeQuantization } from '../../analyze/quantized.js';
import { indexGraph, removeUnusedInitializers, topologicalSort, uniqueNamer } from '../../onnx/graph.js';
import type { LoadedModel } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';
import type { QuantizeReport } from '../types.js';
import { rebuildDynamicChains } from './dynamic.js';
import { removeDeadNodes, type DequantizeContext } from './graph-edit.js';
import { foldConstantDequantize, hoistThroughQuantize, removeQdqPairs } from './qdq.js';
import { expandQOperators } from './qoperator.js';

export { QOPERATOR_RULES } from './qoperator.js';

export interface DequantizeResult {
  model: LoadedModel;
  report: QuantizeReport & { dequantize: { from: string; rebuilt: Record<string, number>; remaining: string } };
}

/**
 * The float model inside a quantized one: weights rebuilt as (q − zero point) × scale, integer ops back to the float
 * ops they replaced, activation quantization removed — for dynamic (ConvInteger/MatMulInteger chains), QDQ and
 * QOperator models alike. The weights keep their 8-bit rounding (the original float weights are gone), so this is
 * the model to measure as FP32 and to re-quantize, not the one the quantized model was made from.
 */
export function dequantizeModel(input: LoadedModel): DequantizeResult {
  const before = describeQuantization(input.graph);
  if (before.schemes.length === 0) {
    throw new EdgeoptError('model is not quantized (no DynamicQuantizeLinear, QuantizeLinear/DequantizeLinear or QLinear ops): nothing to dequantize');
  }
  const model = structuredClone(input);
  const graph = model.graph;
  const nodesBefore = graph.node.length;
  const ctx: DequantizeContext = { graph, index: indexGraph(graph), name: uniqueNamer(graph), rebuilt: {}, skipped: [] };
  expandQOperators(ctx);
  ctx.index = indexGraph(graph);
  rebuildDynamicChains(ctx);
  ctx.index = indexGraph(graph);
  foldConstantDequantize(ctx);
  hoistThroughQuantize(ctx);
  removeQdqPairs(ctx);
  removeDeadNodes(graph);
  removeUnusedInitializers(graph);
  graph.node = topologicalSort(graph);
  model.producerName = 'edgeopt.dequantize';
  const after = describeQuantization(graph);
  const notes = ['weights are (q − zero point) × scale: they keep the 8-bit rounding of the quantized model'];
  if (after.schemes.length > 0) notes.push(`still quantized: ${after.description} (see skipped)`);
  const floatBytes = graph.initializer.reduce((sum, t) => sum + (t.dataType === 1 ? t.dims.reduce((a, b) => a * Number(b), 4) : 0), 0);
  return {
    model,
    report: {
      schemaVersion: 1,
      mode: 'dequantize',
      weightType: 'float32',
      perChannel: false,
      symmetricWeights: false,
      quantized: ctx.rebuilt,
      quantizedNodes: Object.entries(ctx.rebuilt).filter(([k]) => k.includes('→ ') && !k.includes('pair')).reduce((a, [, n]) => a + n, 0),
      skipped: ctx.skipped,
      unmatchedExcludes: [],
      inserted: {},
      weights: { tensors: 0, floatBytes, quantizedBytes: 0, gridSnapped: 0 },
      nodesBefore,
      nodesAfter: graph.node.length,
      notes,
      dequantize: { from: before.description, rebuilt: ctx.rebuilt, remaining: after.description },
    },
  };
}
