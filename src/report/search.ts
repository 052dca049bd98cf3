/**
 * The INT8 search in report.md: the verdict, the recipe it chose (which nodes stay float and why, calibration per
 * tensor, rewrites), the latency model it learned, and every candidate it tried (predicted against measured latency,
 * fidelity, paired mAP). A recipe, not a black box.
 */
import { formatTraceTable } from '../quantize/search/format.js';
import type { TraceEntry } from '../quantize/search/search.js';
import type { SearchRecord } from '../results/schema.js';
import { markdownTable as table } from './table.js';

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(1)} ms`);
/** Float nodes listed one by one up to this many; the rest are counted per reason. */
const FLOAT_NODES_LISTED = 40;

/** One row per candidate of the trace (a label appears once per phase it went through): what the chart plots. */
export interface SearchCandidatePoint {
  label: string;
  phase: TraceEntry['phase'];
  predictedMs?: number;
  measuredMs?: number;
  sqnrDb?: number;
  mapDrop?: number;
  chosen: boolean;
}

export function searchCandidates(search: SearchRecord): SearchCandidatePoint[] {
  const byLabel = new Map<string, SearchCandidatePoint>();
  for (const e of search.trace) {
    if (e.phase === 'probe' || e.phase === 'latency') continue;
    const p = byLabel.get(e.label) ?? { label: e.label, phase: e.phase, chosen: search.chosen?.label === e.label };
    p.predictedMs ??= e.predictedMs;
    if (e.measuredMs !== undefined) p.measuredMs = e.measuredMs;
    if (e.fidelity) p.sqnrDb = e.fidelity.channelSqnrDb ?? e.fidelity.score;
    if (e.accuracy) p.mapDrop = e.accuracy.drop;
    // The furthest phase a candidate reached (verify, accuracy) is what it is known by.
    if (e.phase === 'verify' || e.phase === 'accuracy') p.phase = e.phase;
    byLabel.set(e.label, p);
  }
  return [...byLabel.values()];
}

export function renderSearchSection(search: SearchRecord, chart: (file: string) => string): string {
  const out: string[] = [];
  out.push(`\n## INT8 search (int8-auto)\n`);
  const budget = search.accuracyBudget;
  const limit = 'maxDrop' in budget ? `paired mAP50-95 drop ≤ ${budget.maxDrop} points on ${budget.evalData}${budget.evalImages ? ` (${budget.evalImages} images)` : ''}` : `output SQNR ≥ ${budget.minSqnrDb} dB against FP32 (${budget.why})`;
  out.push(`Asked: the fastest static INT8 configuration of this model on this device with ${limit}, within ${search.budgetMinutes.toFixed(1)} minutes. Took ${search.seconds.toFixed(0)} s${search.interrupted ? ' (stopped early by its budget or Ctrl-C: the best configuration so far was kept)' : ''}.`);
  if (search.verdict === 'found' && search.chosen) {
    const c = search.chosen;
    out.push(`\n**Found:** ${search.reason}. In the search's own verification (side by side with FP32, isolated processes) ${c.label} measured ${ms(c.latency.p50Ms)} against FP32's ${ms(search.fp32.p50Ms)} at 1 thread${c.predictedMs !== undefined ? ` (predicted ${ms(c.predictedMs)})` : ''}` +
      (c.latency.practicalP50Ms !== undefined && search.fp32.practicalP50Ms !== undefined ? `, ${ms(c.latency.practicalP50Ms)} against ${ms(search.fp32.practicalP50Ms)} at ${c.latency.practicalThreads} threads` : '') +
      `; the int8-auto rows above are the run's own measurement of the written model.`);
    if (c.accuracy) out.push(`\nPaired mAP50-95 on ${c.accuracy.images} images: ${c.accuracy.map.toFixed(2)} against FP32's ${c.accuracy.fp32Map.toFixed(2)}, drop ${c.accuracy.drop.toFixed(2)} points (95% bootstrap CI ${c.accuracy.ci[0].toFixed(2)} to ${c.accuracy.ci[1].toFixed(2)}).`);
    else out.push('\nmAP was not measured by the search: it accepted on output SQNR against FP32 only.');
  } else {
    out.push(`\n**No INT8 configuration worth shipping:** ${search.reason}. No int8-auto model was written; the selection below chose among the other variants.`);
  }
  const recipe = search.recipe;
  if (recipe) {
    out.push(`\n### The recipe${search.recipePath ? ` (\`${search.recipePath}\`, beside the model)` : ''}\n`);
    out.push(`Reproduce it: \`edgeopt quantize model.onnx -o model_int8_auto.onnx --recipe ${search.recipePath ?? '<recipe>'}\` (its stored ranges: the same model; with \`--calib\`: re-calibrated by its methods).\n`);
    const overrides = Object.entries(recipe.calibration.overrides);
    out.push(`- rewrites first: ${recipe.rewrites.length ? recipe.rewrites.join(', ') : 'none'}`);
    out.push(`- activations ${recipe.activationType}, weights ${recipe.perChannel ? 'per channel' : 'per tensor'}, SiLU-aware ranges ${recipe.siluAwareRanges ? 'on' : 'off'}, shared-scale Concats ${recipe.sharedScaleConcats === true ? 'all' : recipe.sharedScaleConcats.length}`);
    out.push(`- calibration: ${recipe.calibration.method}${recipe.calibration.percentile !== undefined && recipe.calibration.method === 'percentile' ? ` ${recipe.calibration.percentile}` : ''} by default on ${recipe.calibration.samples ?? '?'} samples (${recipe.calibration.source ?? 'the run\'s calibration set'}); ${overrides.length ? `${overrides.length} tensor(s) calibrated otherwise` : 'no per-tensor exceptions'}; ${Object.keys(recipe.tensors).length} tensors quantized`);
    out.push(`- bias correction: ${recipe.biasCorrections ? `${Object.keys(recipe.biasCorrections).length} convolutions' biases shifted by their mean output error on calibration data` : 'off'}`);
    if (overrides.length) {
      out.push('\nPer-tensor calibration chosen by the search:\n');
      out.push(table(['tensor', 'method', 'range'], overrides.map(([t, o]) => [t, `${o.method}${o.percentile !== undefined ? ` ${o.percentile}` : ''}`, range(recipe.tensors[t])])));
    }
    out.push(`\n${recipe.float.length} node(s) stay float:\n`);
    out.push(table(['node', 'why'], recipe.float.slice(0, FLOAT_NODES_LISTED).map((f) => [f.node, f.reason])));
    if (recipe.float.length > FLOAT_NODES_LISTED) {
      const rest = new Map<string, number>();
      for (const f of recipe.float.slice(FLOAT_NODES_LISTED)) rest.set(f.reason, (rest.get(f.reason) ?? 0) + 1);
      out.push(`\n…and ${recipe.float.length - FLOAT_NODES_LISTED} more: ${[...rest].map(([why, n]) => `${n} × ${why}`).join('; ')} (all in the recipe).`);
    }
  }
  const lm = search.latencyModel;
  if (lm.fit.length) {
    out.push('\n### Latency model (learned from onnxruntime profiles of probe models on this device)\n');
    out.push(`${lm.units} decision units; each float/int8 boundary costs ${(lm.perElement.toInt8 * 1e6).toFixed(2)} ms (to int8) and ${(lm.perElement.toFloat * 1e6).toFixed(2)} ms (to float) per million elements.\n`);
    out.push(table(['probe', 'predicted', 'profiled'], lm.fit.map((f) => [f.label, ms(f.predictedMs), ms(f.profiledMs)])));
  }
  out.push('\n### Search trace (every candidate, in order)\n');
  out.push(`Predicted latency comes from the latency model; measured latency from the search's verification benchmark; fidelity is measured against FP32 on held-out images — the search steered on ${search.steering ?? 'the channel-averaged output SQNR'}; the mAP change is paired against FP32 on the same images.\n`);
  out.push(formatTraceTable(search.trace));
  out.push(chart('search.svg'));
  return out.join('\n');
}

function range(t: { min: number; max: number } | undefined): string {
  return t ? `${t.min.toPrecision(4)} … ${t.max.toPrecision(4)}` : '–';
}
