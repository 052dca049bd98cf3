import type { BenchStats } from '../bench/benchmark.js';
import type { RunResults, VariantResult } from '../results/schema.js';
import { describeDataQuality } from '../util/data-quality.js';
import { speedRatioText } from '../util/speed.js';
import type { Chart } from './charts.js';
import { renderSearchSection } from './search.js';
import { markdownTable } from './table.js';

export { markdownTable } from './table.js';


const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function ratioText(stats: BenchStats, base?: BenchStats): string {
  if (!base) return '–';
  if (stats === base) return 'baseline';
  return speedRatioText(stats.p50Ms, base.p50Ms);
}

function latencyTable(results: RunResults, scenario: 'controlled' | 'practical'): string | undefined {
  const base = results.variants.find((v) => v.name === 'fp32')?.benchmarks[scenario];
  const rows = results.variants.flatMap((v) => {
    const s = v.benchmarks[scenario];
    if (!s) return [];
    const gmac = v.analysis.macs > 0 ? (v.analysis.macs / 1e9 / (s.p50Ms / 1000)).toFixed(0) : '–';
    return [[
      v.name, f1(s.p50Ms), `${f1(s.meanMs)} ± ${f1(s.stdMs)}`, f1(s.p95Ms), f1(s.p99Ms), pct(s.cv), f2(s.iqrMs), s.outliers,
      `${f1(s.medianCi95[0])}–${f1(s.medianCi95[1])}${s.capHit ? ' (cap hit)' : ''}`, s.runs, ratioText(s, base), gmac,
    ]];
  });
  if (rows.length === 0) return undefined;
  return markdownTable(
    ['variant', 'p50 ms', 'mean ± std', 'p95', 'p99', 'CV', 'IQR', 'outliers', 'median 95% CI', 'runs', 'vs FP32', 'GMAC/s'],
    rows,
    [false, true, true, true, true, true, true, true, true, true, false, true],
  );
}

function sweepTable(results: RunResults): string | undefined {
  const threads = [...new Set(results.variants.flatMap((v) => (v.benchmarks.sweep ?? []).map((s) => s.threads)))].sort((a, b) => a - b);
  if (threads.length === 0) return undefined;
  const rows = results.variants
    .filter((v) => v.benchmarks.sweep?.length)
    .map((v) => [v.name, ...threads.map((t) => { const s = v.benchmarks.sweep!.find((x) => x.threads === t); return s ? f1(s.stats.p50Ms) : '–'; })]);
  return markdownTable(['variant', ...threads.map((t) => `${t} thr p50 ms`)], rows, [false, ...threads.map(() => true)]);
}

function profileSection(v: VariantResult): string {
  if (!v.profile) return '';
  const rows = v.profile.opTypes.slice(0, 8).map((o) => [o.opType, o.count, f2(o.ms), pct(o.share)]);
  return `**${v.name}** (${f1(v.profile.totalMs)} ms of operator time per run):\n\n${markdownTable(['operator', 'nodes', 'ms/run', 'share'], rows, [false, true, true, true])}\n`;
}

function census(v: VariantResult): string {
  const q = Object.entries(v.analysis.quantization).filter(([, n]) => n > 0);
  return q.length ? q.map(([op, n]) => `${op} ${n}`).join(', ') : 'float only';
}

/** report.md: the study's report, extended with statistics, profiles, accuracy and a verdict. */
export function renderReport(results: RunResults, charts: Chart[]): string {
  const chart = (file: string) => (charts.some((c) => c.file === file) ? `\n![${file}](${file})\n` : '');
  const fp32 = results.variants.find((v) => v.name === 'fp32');
  const out: string[] = [];
  out.push(`# edgeopt report: ${results.model.name}`);
  out.push('');
  out.push(`Generated ${results.createdAt} by edgeopt ${results.tool.version} on ${results.environment.cpuModel} (${results.environment.cores} cores).`);
  if (results.status !== 'complete') out.push(`\n> **Partial results**: ${results.errors.length} step(s) failed or were interrupted; see *Errors* at the end.`);
  if (results.model.synthetic) {
    out.push('\n> **Synthetic weights.** This model was built from the architecture definition with seeded random weights: latency figures are valid (the compute is identical to the real model), accuracy is not measured. Point `--model` at a real checkpoint for accuracy.');
  }
  for (const note of results.model.notes) out.push(`\n> ${note}`);
  const dq = results.dataQuality;
  if (dq?.eval) out.push(`\nEvaluation data: ${describeDataQuality(dq.eval)}.`);
  if (dq?.calibration) out.push(`\nCalibration images: ${describeDataQuality(dq.calibration)}.`);
  if (results.selection) out.push(`\n**Verdict:** ${results.selection.summary}`);
  if (results.contract) {
    out.push('\n## Model contract (how images were fed and outputs read)\n');
    out.push(`\`${results.contract.summary}\``);
    out.push('');
    out.push(markdownTable(['field', 'came from'], Object.entries(results.contract.sources).filter(([k]) => !k.startsWith('decoder.')).map(([k, v]) => [k, v])));
    for (const a of results.contract.assumptions) out.push(`\n> Assumed: ${a}`);
    if (results.contract.decoderProblem) {
      const hint = results.contract.decoderSuggestion ? ` Measured on labelled images: ${results.contract.decoderSuggestion}.` : '';
      out.push(`\n> **No decoder:** ${results.contract.decoderProblem}. Accuracy and detection agreement were not measured; output fidelity was.${hint}`);
    }
  }
  if (results.accuracyCheck?.fits === false) {
    out.push(`\n> **Accuracy not measured: contract mismatch.** The FP32 model's decoded output did not make sense on the labelled images (${results.accuracyCheck.reason}), so any mAP would be a wrong number. ${results.accuracyCheck.suggestion ?? ''}`.trimEnd());
  }

  if (fp32) {
    out.push('\n## Model analysis (FP32)\n');
    const a = fp32.analysis;
    out.push(markdownTable(['nodes', 'parameters', 'parameter memory', 'MACs', 'FLOPs'], [[a.nodes, a.parameters.toLocaleString('en-US'), `${mb(a.parameterBytes)} MB`, `${(a.macs / 1e9).toFixed(2)} G`, `${((2 * a.macs) / 1e9).toFixed(2)} G`]], [true, true, true, true, true]));
    const ops = Object.entries(a.opCounts).sort((x, y) => y[1] - x[1]).map(([op, n]) => `${op} ${n}`).join(', ');
    out.push(`\nOperators: ${ops}.`);
  }

  out.push('\n## Variants and size\n');
  out.push(markdownTable(
    ['variant', 'what it is', 'file MB', 'vs FP32', 'parameter MB', 'quantization ops'],
    results.variants.map((v) => [v.name, v.description, mb(v.sizeBytes), !fp32 ? '–' : v === fp32 ? 'baseline' : v.sizeBytes > 0 ? `${(fp32.sizeBytes / v.sizeBytes).toFixed(2)}x smaller` : 'not built', mb(v.analysis.parameterBytes), census(v)]),
    [false, false, true, false, true, false],
  ));
  out.push(chart('size.svg'));

  const controlled = latencyTable(results, 'controlled');
  if (controlled) {
    out.push('\n## Latency: controlled scenario (1 thread, sequential, no spinning, memory pattern off)\n');
    out.push(controlled);
  }
  const practical = latencyTable(results, 'practical');
  if (practical) {
    const threads = results.variants.find((v) => v.benchmarks.practicalThreads)?.benchmarks.practicalThreads;
    out.push(`\n## Latency: practical scenario (onnxruntime defaults${threads ? `, ${threads} threads` : ''})\n`);
    out.push(practical);
  }
  out.push(chart('latency.svg'));
  out.push('\nEach run set is measured in fresh child processes over rotated rounds; p50 is the median, CI is a bootstrap 95% interval of the median, outliers are runs more than 2 std from the mean. GMAC/s = analyzer MACs / p50.');
  const sweep = sweepTable(results);
  if (sweep) {
    out.push('\n## Thread scaling\n');
    out.push(sweep);
    out.push(chart('threads.svg'));
  }

  const profiled = results.variants.filter((v) => v.profile);
  if (profiled.length) {
    out.push('\n## Where the time goes (onnxruntime profiler, per operator type)\n');
    for (const v of profiled) out.push(profileSection(v));
    out.push(chart('ops.svg'));
  }

  const evaluated = results.variants.filter((v) => v.accuracy || v.fidelity || (v.accuracyStatus && v.accuracyStatus !== 'measured'));
  if (evaluated.length) {
    out.push(`\n## Accuracy${results.settings.evalData ? ` (${results.settings.evalData})` : ''}\n`);
    const baseMap = fp32?.accuracy?.map50_95;
    const status = (v: (typeof evaluated)[number]) => (v.accuracyStatus && v.accuracyStatus !== 'measured' ? v.accuracyStatus : '–');
    out.push(markdownTable(
      ['variant', 'images', 'mAP50', 'mAP50-95', 'Δ mAP50-95 (points)', 'precision', 'recall'],
      evaluated.map((v) => [
        v.name,
        v.accuracy?.images ?? '–',
        v.accuracy ? f2(v.accuracy.map50 * 100) : status(v),
        v.accuracy ? f2(v.accuracy.map50_95 * 100) : status(v),
        v.accuracy && baseMap !== undefined ? f2((v.accuracy.map50_95 - baseMap) * 100) : '–',
        v.accuracy ? f2(v.accuracy.precision) : '–',
        v.accuracy ? f2(v.accuracy.recall) : '–',
      ]),
      [false, true, true, true, true, true, true],
    ));
    const faithful = results.variants.filter((v) => v.fidelity);
    if (faithful.length) {
      out.push('\n### Output fidelity vs FP32 (same real images; worst output; detections at conf 0.25, IoU 0.5)\n');
      out.push(markdownTable(
        ['variant', 'images', 'cosine', 'SQNR dB', 'max abs diff', 'detection F1', 'FP32 detections found'],
        faithful.map((v) => {
          const f = v.fidelity!;
          return [
            v.name,
            f.images ?? '–',
            f.cosine.toFixed(5),
            f.sqnrDb === undefined ? '–' : f.sqnrDb === null ? 'identical' : f1(f.sqnrDb),
            f.maxAbsDiff.toFixed(3),
            f.detectionF1 === undefined ? '–' : f.detectionF1.toFixed(3),
            f.detectionAgreement === undefined ? '–' : `${f1(f.detectionAgreement * 100)}%`,
          ];
        }),
        [false, true, true, true, true, true, true],
      ));
      const perOutput = faithful.filter((v) => (v.fidelity!.outputs?.length ?? 0) > 1 || v.fidelity!.outputs?.some((o) => o.note));
      for (const v of perOutput) {
        out.push(`\n${v.name} per output: ${v.fidelity!.outputs!.map((o) => `${o.name} cos ${o.cosine.toFixed(5)}, ${o.sqnrDb === null ? 'identical' : `${f1(o.sqnrDb)} dB`}, max ${o.maxAbsDiff.toFixed(3)}${o.note ? ` (${o.note})` : ''}`).join('; ')}.`);
      }
    }
  }
  out.push(chart('pareto.svg'));
  if (results.search) out.push(renderSearchSection(results.search, chart));

  if (results.findings.length) {
    out.push('\n## Findings\n');
    for (const f of results.findings) out.push(`- ${f}`);
  }
  if (results.selection) {
    out.push(`\n## Selection (${results.selection.scenario} scenario)\n`);
    const c = results.selection.constraints;
    const cs = [c.maxLatencyMs !== undefined && `p50 ≤ ${c.maxLatencyMs} ms`, c.maxSizeMb !== undefined && `size ≤ ${c.maxSizeMb} MB`, c.maxMapDrop !== undefined && `mAP50-95 drop ≤ ${c.maxMapDrop} points`, c.minFidelity !== undefined && `fidelity ≥ ${c.minFidelity}`].filter(Boolean);
    out.push(`Constraints: ${cs.length ? cs.join(', ') : 'none'}.\n`);
    for (const r of results.selection.reasons) out.push(`- ${r.accepted && r.variant === results.selection.chosen ? '**chosen** ' : ''}${r.text}`);
  }
  if (results.devices?.length) {
    out.push('\n## Devices that reported\n');
    out.push(markdownTable(
      ['device', 'cores', 'variant', 'backend', 'threads', 'p50 ms'],
      results.devices.flatMap((d) => d.results.map((r) => [(d.device.name ?? d.device.userAgent ?? '?').slice(0, 60), d.device.hardwareConcurrency ?? '–', r.variant, r.backend, r.threads, f1(r.p50Ms)])),
      [false, true, false, false, true, true],
    ));
    out.push(chart('devices.svg'));
  }

  out.push('\n## Provenance\n');
  const env = results.environment;
  out.push(markdownTable(['CPU', 'cores', 'ISA flags', 'OS', 'Node', 'runtime'], [[env.cpuModel, env.cores, env.isa.flags.join(' ') || '–', env.os, env.node, `${env.runtime.name} ${env.runtime.version}`]]));
  out.push(`\nSettings: ${results.settings.runs} timed runs (adaptive, pooled over ${results.settings.rounds} rounds), ${results.settings.warmup} warm-up runs per process, scenarios ${results.settings.scenarios.join(', ')}.`);
  if (results.settings.skipped.length) out.push(`\nSkipped: ${results.settings.skipped.join('; ')}.`);
  if (results.errors.length) {
    out.push('\n## Errors\n');
    for (const e of results.errors) out.push(`- ${e.step}${e.variant ? ` (${e.variant})` : ''}: ${e.message}`);
  }
  return `${out.join('\n')}\n`;
}
