import { convertToFloat16, type Fp16Report } from './fp16.js';
import type { CommonModeOptions, QuantizeMode, QuantizeReport } from './types.js';

/** `--mode fp16`: the FP16 converter's options under the names the CLI and the run pipeline use. */
export interface Fp16ModeOptions extends CommonModeOptions {
  /** Keep float32 graph inputs and outputs, with Casts at the boundary (default true). */
  keepIoTypes?: boolean;
  /** Op types kept float32 besides the default block list. */
  blockList?: string[];
}

/**
 * `modes.fp16`: FP16 conversion reported in the same record as the integer modes, so the CLI, run
 * pipeline and report show every variant alike; the FP16-specific details ride along under `fp16`.
 */
export const fp16Mode: QuantizeMode<Fp16ModeOptions> = async (model, options) => {
  const { model: converted, report } = convertToFloat16(model, { keepIoTypes: options.keepIoTypes, blockList: options.blockList, excludeNodes: options.exclude });
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
