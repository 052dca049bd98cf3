/**
 * The one way edgeopt words a latency ratio, so that the report, select, diagnose and the bench scripts can
 * never disagree at parity (one saying "1.00x faster" while another says "1.00x slower"). Pure (no imports).
 */

/** A ratio ≥ 1 as printed: two decimals below 2x, one from 2x on ("1.92x", "2.9x", "37.0x"). */
export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(ratio >= 1.995 ? 1 : 2)}x`;
}

/**
 * "1.92x faster" / "1.07x slower" / "as fast" for a latency against a baseline latency. Parity is decided by
 * the rounding: when the printed ratio would be 1.00x either way, there is no direction worth printing.
 */
export function speedRatioText(latencyMs: number, baselineMs: number): string {
  const speedup = baselineMs / latencyMs;
  const ratio = speedup >= 1 ? speedup : 1 / speedup;
  const text = formatRatio(ratio);
  if (text === formatRatio(1)) return 'as fast';
  return `${text} ${speedup > 1 ? 'faster' : 'slower'}`;
}

/** "1.92x faster than FP32" / "1.07x slower than FP32" / "as fast as FP32". */
export function speedRatioPhrase(latencyMs: number, baselineMs: number, baselineLabel: string): string {
  const text = speedRatioText(latencyMs, baselineMs);
  return `${text} ${text === 'as fast' ? 'as' : 'than'} ${baselineLabel}`;
}
