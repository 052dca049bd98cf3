/** The summary `edgeopt run` prints on stdout: the variant table, the headline findings, the selection. */
import { join } from 'node:path';
import type { RunResults, SearchRecord } from '../results/schema.js';

/** The run's summary; `outDir` is where results.json and report.md were written. */
export function formatRunSummary(results: RunResults, outDir: string): string {
  const lines: string[] = [];
  const fp32 = results.variants.find((v) => v.name === 'fp32');
  lines.push(`model: ${results.model.name}${results.model.synthetic ? ' (synthetic weights: latency only)' : ''}`);
  if (results.contract) lines.push(`contract: ${results.contract.summary}`);
  lines.push('');
  lines.push(`${'variant'.padEnd(24)} ${'size MB'.padStart(8)} ${'1-thr p50'.padStart(10)} ${'vs FP32'.padStart(8)} ${'N-thr p50'.padStart(10)} ${'mAP50-95'.padStart(9)} ${'fidelity vs FP32'.padStart(22)}`);
  for (const v of results.variants) {
    const c = v.benchmarks.controlled;
    const p = v.benchmarks.practical;
    const ratio = c && fp32?.benchmarks.controlled ? `${(fp32.benchmarks.controlled.p50Ms / c.p50Ms).toFixed(2)}x` : '–';
    // A number is printed only when it was measured; otherwise why not, in short.
    const map = v.accuracy ? (v.accuracy.map50_95 * 100).toFixed(2) : v.accuracyStatus === 'not measured: contract mismatch' ? 'mismatch' : '–';
    const f = v.fidelity;
    const fidelity = !f ? '–' : f.detectionF1 !== undefined ? `F1 ${f.detectionF1.toFixed(3)}, cos ${f.cosine.toFixed(4)}` : `cos ${f.cosine.toFixed(4)}, ${f.sqnrDb === null || f.sqnrDb === undefined ? 'identical' : `${f.sqnrDb.toFixed(1)} dB`}`;
    lines.push(
      `${v.name.padEnd(24)} ${(v.sizeBytes / 1e6).toFixed(2).padStart(8)} ${(c ? `${c.p50Ms.toFixed(1)} ms` : '–').padStart(10)} ${ratio.padStart(8)} ${(p ? `${p.p50Ms.toFixed(1)} ms` : '–').padStart(10)} ${map.padStart(9)} ${fidelity.padStart(22)}`,
    );
  }
  if (results.accuracyCheck?.fits === false) {
    lines.push('', `accuracy not measured: contract mismatch (${results.accuracyCheck.reason}); ${results.accuracyCheck.suggestion ?? ''}`.trimEnd());
  } else if (results.contract?.decoderProblem) {
    const hint = results.contract.decoderSuggestion ? `; measured on labelled images: ${results.contract.decoderSuggestion}` : '';
    lines.push('', `accuracy and detection agreement not measured: ${results.contract.decoderProblem}${hint}`);
  }
  if (results.search) lines.push('', ...searchLines(results.search));
  lines.push('');
  for (const f of results.headlines ?? results.findings) lines.push(`- ${f}`);
  if (results.headlines && results.findings.length > results.headlines.length) lines.push(`  (${results.findings.length} findings in all: see report.md)`);
  if (results.selection) lines.push('', results.selection.summary);
  lines.push('', `wrote ${join(outDir, 'results.json')} and ${join(outDir, 'report.md')}${results.status === 'partial' ? ' (PARTIAL: see errors in the report)' : ''}`);
  return `${lines.join('\n')}\n`;
}

/** The INT8 search in two or three lines: what it chose and how it measured, or why nothing was written. */
function searchLines(s: SearchRecord): string[] {
  const took = `${s.trace.length} steps in ${s.seconds.toFixed(0)} s${s.interrupted ? ', stopped early (budget or Ctrl-C): best so far kept' : ''}`;
  if (s.verdict !== 'found' || !s.chosen) return [`int8-auto: not written, no INT8 configuration beats FP32 within the accuracy budget here (${took}): ${s.reason}`];
  const c = s.chosen;
  const accuracy = c.accuracy
    ? `paired mAP50-95 drop ${c.accuracy.drop.toFixed(2)} (95% CI ${c.accuracy.ci[0].toFixed(2)} to ${c.accuracy.ci[1].toFixed(2)}, ${c.accuracy.images} images)`
    : `output SQNR ${c.fidelity ? `${(c.fidelity.channelSqnrDb ?? c.fidelity.score).toFixed(1)} dB` : 'not measured'} against FP32 (no mAP: ${'minSqnrDb' in s.accuracyBudget ? s.accuracyBudget.why : 'not measured'})`;
  const r = s.recipe;
  return [
    `int8-auto: the INT8 search chose '${c.label}' (${took}): search verification ${c.latency.p50Ms.toFixed(1)} vs FP32 ${s.fp32.p50Ms.toFixed(1)} ms at 1 thread (${c.speedup.toFixed(2)}x${c.predictedMs !== undefined ? `, predicted ${c.predictedMs.toFixed(1)} ms` : ''}), ${accuracy}`,
    ...(r ? [`  recipe ${s.recipePath}: ${r.float.length} nodes float, ${Object.keys(r.calibration.overrides).length} per-tensor calibrations, bias correction ${r.biasCorrections ? 'on' : 'off'}, rewrites ${r.rewrites.join(', ') || 'none'} (search trace in report.md)`] : []),
  ];
}
