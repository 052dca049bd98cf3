import { basename } from 'node:path';
import type { BenchResult } from './benchmark.js';
import type { PlausibilityCheck } from './plausibility.js';

/**
 * The human-readable benchmark table (pure: results in, text out). Errors and implausible results
 * are listed under the table in full, with a short flag in the row.
 */
export interface BenchRow {
  result: BenchResult;
  plausibility?: PlausibilityCheck;
}

const f = (v: number, digits = 2) => v.toFixed(digits);

export function formatBenchTable(rows: readonly BenchRow[]): string {
  const header = ['model', 'scenario', 'thr', 'runs', 'p50 ms', 'mean±std ms', 'p95 ms', 'CV', 'IQR ms', 'fps', 'GMAC/s', 'median 95% CI', 'flags'];
  const body = rows.map(({ result, plausibility }) => {
    const s = result.stats;
    const flags = [
      result.error ? (result.partial ? 'PARTIAL' : 'ERROR') : '',
      s?.capHit ? 'cap' : '',
      plausibility && !plausibility.plausible ? 'IMPLAUSIBLE' : '',
    ].filter(Boolean);
    return [
      basename(result.model),
      result.scenario,
      String(result.threads),
      s ? String(s.runs) : '-',
      s ? f(s.p50Ms) : '-',
      s ? `${f(s.meanMs)}±${f(s.stdMs)}` : '-',
      s ? f(s.p95Ms) : '-',
      s ? `${f(s.cv * 100, 1)}%` : '-',
      s ? f(s.iqrMs) : '-',
      s ? f(s.fps, 1) : '-',
      plausibility ? f(plausibility.gmacPerSecond, 1) : '-',
      s ? `${f(s.medianCi95[0])}–${f(s.medianCi95[1])} (±${f(s.ciHalfWidthRel * 100, 1)}%)` : '-',
      flags.join(',') || 'ok',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  const notes: string[] = [];
  for (const { result, plausibility } of rows) {
    const where = `${basename(result.model)} ${result.scenario}/${result.threads}`;
    if (result.error) notes.push(`${where}: ${result.partial ? 'partial result, ' : ''}${result.error}`);
    if (result.stats?.capHit) {
      notes.push(`${where}: stopped at ${result.stats.runs} runs with the median CI at ±${f(result.stats.ciHalfWidthRel * 100, 1)}% (target ±${f(result.stats.targetCiRel * 100, 0)}%): the machine is noisy`);
    }
    if (plausibility && !plausibility.plausible) notes.push(`${where}: implausible: ${plausibility.reason}`);
  }
  return `${out.join('\n')}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`;
}
