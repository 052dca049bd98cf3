/**
 * The names `--mode` accepts, without loading the quantizers (the CLI lists them in --help and in its error for
 * an unknown mode). The table of implementations is `modes` in quantize/modes.ts; a test checks that
 * MODEL_MODE_NAMES names exactly its entries.
 */

/** Modes of the `modes` table: one model in, one model out, within the quantize stage. */
export const MODEL_MODE_NAMES = ['dynamic', 'static', 'fp16', 'dequantize'] as const;

/**
 * Modes that measure while they quantize, so they live above the stages they measure with: `auto`, the
 * latency- and accuracy-aware INT8 search (pipeline/auto-quantize.ts).
 */
export const SEARCH_MODE_NAMES = ['auto'] as const;

/** Every value of `quantize --mode`. */
export const QUANTIZE_MODE_NAMES = [...MODEL_MODE_NAMES, ...SEARCH_MODE_NAMES] as const;

export type CliQuantizeModeName = (typeof QUANTIZE_MODE_NAMES)[number];
