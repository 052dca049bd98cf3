/** The text `edgeopt quantize` prints: what was quantized, inserted and skipped, sizes and times; the mixed-precision search. */
import type { QuantizeFileResult } from './file.js';
import type { MixedPrecisionReport } from './mixed.js';

/** The accuracy-aware mixed-precision result (`quantize --max-drop`). */
export function formatMixedPrecision(result: { inputPath: string; outputPath: string; report: MixedPrecisionReport }): string {
  const r = result.report;
  const lat = (ms?: number) => (ms === undefined ? '' : `, ${ms.toFixed(1)} ms`);
  const lines = [
    `${result.inputPath} -> ${result.outputPath} (mixed precision, target: at most ${r.maxDrop} mAP50-95 points below FP32 ${r.baselineMap.toFixed(2)})`,
    `  fully INT8   mAP50-95 ${r.fullyQuantized.map.toFixed(2)} (−${r.fullyQuantized.drop.toFixed(2)})${lat(r.fullyQuantized.latencyMs)}`,
    `  final        mAP50-95 ${r.final.map.toFixed(2)} (−${r.final.drop.toFixed(2)})${lat(r.final.latencyMs)}, ${r.final.floatBlocks.length} conv blocks in float`,
    ...r.final.floatBlocks.map((b) => `    float: ${b}`),
    ...(r.latencyCostMs === undefined ? [] : [`  latency cost of the float blocks: ${r.latencyCostMs.toFixed(1)} ms`]),
    `  target ${r.met ? 'met' : 'NOT met'}`,
  ];
  return `${lines.join('\n')}\n`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function histogram(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([op, n]) => `${op} ${n}`).join(', ') : 'none';
}

/** One quantization: the census of what changed, the size and the time. */
export function formatQuantizeSummary(result: QuantizeFileResult): string {
  const r = result.report;
  const layout = `${r.weightType} weights, ${r.perChannel ? 'per-channel' : 'per-tensor'}${r.symmetricWeights ? ', symmetric' : ''}`;
  const size = result.compression >= 1 ? `${result.compression.toFixed(2)}x smaller` : `${(1 / result.compression).toFixed(2)}x larger`;
  const lines = [
    `${result.inputPath} -> ${result.outputPath} (${r.mode}, ${layout})`,
    `  ${r.mode === 'dequantize' ? 'rebuilt  ' : 'quantized'}  ${histogram(r.quantized)}`,
    `  inserted   ${histogram(r.inserted)}`,
    `  skipped    ${r.skipped.length}`,
    ...r.skipped.slice(0, 10).map((s) => `    ${s.opType} ${s.node}: ${s.reason}`),
    ...(r.skipped.length > 10 ? [`    … ${r.skipped.length - 10} more (see --json)`] : []),
    `  nodes      ${r.nodesBefore} -> ${r.nodesAfter}`,
    `  size       ${megabytes(result.inputBytes)} -> ${megabytes(result.outputBytes)} (${size})`,
    `  time       ${result.quantizeMs.toFixed(0)} ms quantizing, ${result.totalMs.toFixed(0)} ms with load and save`,
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}
