/**
 * The names `--mode` accepts, without loading the quantizers (the CLI lists them in --help). The table of
 * implementations is `modes` in quantize/modes.ts; a test checks that both name the same modes.
 */
export const QUANTIZE_MODE_NAMES = ['dynamic', 'static', 'fp16', 'dequantize'] as const;
