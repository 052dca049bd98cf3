import { convertToFloat16, type Fp16Report } from './fp16.js';
import type { QuantizeMode, QuantizeReport } from './types.js';

/**
 * `modes.fp16`: FP16 conversion reported in the same record as the integer modes, so the CLI, run
 * pipeline and report show every variant alike; the FP16-specific details ride along under `fp16`.
 */
export const fp16Mode: QuantizeMode = async (model, options) => {
  const { model: converted, report } = convertToFloat16(model, {
    keepIoTypes: typeof options.keepIoTypes === 'boolean' ? options.keepIoTypes : undefined,
    blockList: Array.isArray(options.blockList) ? (options.blockList as string[]) : undefined,
    excludeNodes: options.exclude,
  });
  return { model: converted, report: toQuantizeReport(report) };
};

function toQuantizeReport(r: Fp16Report): QuantizeReport & { fp16: Fp16Report } {
  return {
    schemaVersion: 1,
    mode: 'fp16',
    weightType: 'float16',
    perChannel: false,
    symmetricWeights: false,
    quantized: { 'float16 initializers': r.convertedInitializers },
    quantizedNodes: r.nodesBefore - r.float32Nodes.length,
    skipped: r.float32Nodes.map((n) => ({ node: n.node, opType: n.opType, reason: 'kept in float32' })),
    unmatchedExcludes: [],
    inserted: r.castsInserted > 0 ? { Cast: r.castsInserted } : {},
    weights: { tensors: r.convertedInitializers, floatBytes: r.weights.floatBytes, quantizedBytes: r.weights.float16Bytes, gridSnapped: 0 },
    nodesBefore: r.nodesBefore,
    nodesAfter: r.nodesAfter,
    notes: r.notes, // once: convertToFloat16 already says what was clamped or flushed
    fp16: r,
  };
}
