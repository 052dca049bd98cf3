import { formatFidelity, type SearchResult, type TraceEntry } from './search.js';

/** What `quantize --mode auto` prints: the verdict, the chosen configuration's figures and the search trace. */
export interface AutoQuantizeSummary {
  inputPath: string;
  outputPath?: string;
  recipePath?: string;
  search: Omit<SearchResult, 'model' | 'report'>;
}

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(1)} ms`);

export function formatTraceRow(e: TraceEntry): string {
  const fid = e.fidelity ? formatFidelity(e.fidelity) : '–';
  // The column is the change (candidate − FP32), so its interval is the drop's, negated and swapped.
  const signed = (v: number) => `${v < 0 ? '−' : '+'}${Math.abs(v).toFixed(2)}`;
  const acc = e.accuracy ? `${signed(-e.accuracy.drop)} [${signed(-e.accuracy.ci[1])}, ${signed(-e.accuracy.ci[0])}]` : '–';
  return `| ${e.step} | ${e.phase} | ${e.label} | ${e.floatUnits ?? '–'} | ${ms(e.predictedMs)} | ${ms(e.measuredMs)} | ${fid} | ${acc} | ${e.note ?? ''} |`;
}

export function formatTraceTable(trace: readonly TraceEntry[]): string {
  const head = '| # | phase | candidate | float units | predicted | measured (1 thread) | fidelity vs FP32 | mAP50-95 change [95% CI] | note |\n|---|---|---|---|---|---|---|---|---|';
  return [head, ...trace.map(formatTraceRow)].join('\n');
}

export function formatAutoQuantize(result: AutoQuantizeSummary): string {
  const s = result.search;
  const lines: string[] = [];
  lines.push(`search ${s.verdict === 'found' ? 'found an INT8 configuration' : 'found no INT8 configuration worth shipping'} in ${s.seconds.toFixed(0)} s${s.interrupted ? ' (stopped early: budget or Ctrl-C; best so far kept)' : ''}`);
  lines.push(`  ${s.reason}`);
  if (s.steering) lines.push(`  steered on ${s.steering}`);
  if (s.chosen) {
    const c = s.chosen;
    lines.push(`  latency: ${ms(c.latency.p50Ms)} vs FP32 ${ms(s.fp32.p50Ms)} at 1 thread (${c.speedup.toFixed(2)}x${c.predictedMs !== undefined ? `; predicted ${ms(c.predictedMs)}` : ''})`);
    if (c.latency.practicalP50Ms !== undefined && s.fp32.practicalP50Ms !== undefined) {
      lines.push(`  practical (${c.latency.practicalThreads} threads): ${ms(c.latency.practicalP50Ms)} vs FP32 ${ms(s.fp32.practicalP50Ms)} (${(s.fp32.practicalP50Ms / c.latency.practicalP50Ms).toFixed(2)}x)`);
    }
    if (c.accuracy) {
      lines.push(`  mAP50-95: ${c.accuracy.map.toFixed(2)} vs FP32 ${c.accuracy.fp32Map.toFixed(2)} on ${c.accuracy.images} images, paired drop ${c.accuracy.drop.toFixed(2)} (95% CI ${c.accuracy.ci[0].toFixed(2)} to ${c.accuracy.ci[1].toFixed(2)})`);
    } else {
      lines.push('  mAP not measured (no --eval): accepted on output SQNR against FP32 only');
    }
    if (c.fidelity) lines.push(`  fidelity against FP32 on the held-out images: ${formatFidelity(c.fidelity)}${c.fidelity.detectionF1 !== undefined ? ' (F1 over IoU 0.5:0.95; SQNR per channel)' : ' (per channel)'}`);
  }
  const fit = s.latencyModel.fit;
  if (fit.length > 0) {
    lines.push(`  latency model: ${s.latencyModel.units} units, boundary ${(s.latencyModel.perElement.toInt8 * 1e6).toFixed(2)}/${(s.latencyModel.perElement.toFloat * 1e6).toFixed(2)} ms per million elements (to int8/to float); probes predicted vs profiled: ${fit.map((f) => `${f.predictedMs.toFixed(1)}/${f.profiledMs.toFixed(1)}`).join(', ')} ms`);
  }
  if (result.outputPath) lines.push(`  wrote ${result.outputPath}`);
  if (result.recipePath) lines.push(`  recipe ${result.recipePath} (reproduce: edgeopt quantize <model> -o <out> --recipe ${result.recipePath})`);
  lines.push('', formatTraceTable(s.trace), '');
  return `${lines.join('\n')}\n`;
}
