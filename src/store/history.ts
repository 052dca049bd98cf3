import type { LatencyRecord, RunRecord } from './records.js';

/**
 * What `edgeopt history` says: the runs, and for each measurement that was taken at least twice
 * (same model, device, variant, scenario, threads, provider) whether the latest differs from the
 * one before it by more than noise. "Beyond noise" means the two medians' 95% confidence intervals
 * do not overlap — a conservative test: overlapping intervals are reported as within noise.
 */
export interface LatencyPoint {
  runId: string;
  createdAt: string;
  p50Ms: number;
  medianCi95?: [number, number];
  modelSha256?: string;
}

export type ChangeVerdict = 'faster' | 'slower' | 'within noise' | 'no CI';

export interface LatencyChange {
  model: string;
  device: string;
  variant: string;
  scenario: string;
  threads: number;
  provider: string;
  before: LatencyPoint;
  after: LatencyPoint;
  /** after / before. */
  ratio: number;
  verdict: ChangeVerdict;
  /** True when the two measurements are of different model files (same name, other bytes). */
  modelChanged: boolean;
  text: string;
}

export function compareLatency(before: LatencyPoint, after: LatencyPoint): { ratio: number; verdict: ChangeVerdict } {
  const ratio = after.p50Ms / before.p50Ms;
  if (!before.medianCi95 || !after.medianCi95) return { ratio, verdict: 'no CI' };
  if (after.medianCi95[0] > before.medianCi95[1]) return { ratio, verdict: 'slower' };
  if (after.medianCi95[1] < before.medianCi95[0]) return { ratio, verdict: 'faster' };
  return { ratio, verdict: 'within noise' };
}

const point = (run: RunRecord, l: LatencyRecord): LatencyPoint => ({ runId: run.id, createdAt: run.createdAt, p50Ms: l.p50Ms, medianCi95: l.medianCi95, modelSha256: l.modelSha256 });
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ci = (p: LatencyPoint) => (p.medianCi95 ? ` [${ms(p.medianCi95[0])}, ${ms(p.medianCi95[1])}]` : '');

function describe(c: Omit<LatencyChange, 'text'>): string {
  const what = `${c.model} ${c.variant} on ${c.device} (${c.scenario}, ${c.threads} thr)`;
  const figures = `${ms(c.before.p50Ms)}${ci(c.before)} → ${ms(c.after.p50Ms)}${ci(c.after)} ms`;
  const file = c.modelChanged ? '; the model file changed' : '';
  if (c.verdict === 'no CI') return `${what}: ${figures}; no confidence interval for one side, so no verdict${file}`;
  if (c.verdict === 'within noise') return `${what}: ${figures}, within noise (95% CIs overlap)${file}`;
  const factor = c.verdict === 'slower' ? c.ratio : 1 / c.ratio;
  return `${what}: ${factor.toFixed(2)}x ${c.verdict}, beyond noise: ${figures}${file}`;
}

function change(beforeRun: RunRecord, b: LatencyRecord, afterRun: RunRecord, a: LatencyRecord): LatencyChange {
  const before = point(beforeRun, b);
  const after = point(afterRun, a);
  const base = {
    model: afterRun.modelName,
    device: afterRun.device === beforeRun.device ? afterRun.device : `${beforeRun.device} → ${afterRun.device}`,
    variant: a.variant,
    scenario: a.scenario,
    threads: a.threads,
    provider: a.provider,
    before,
    after,
    ...compareLatency(before, after),
    modelChanged: !!(before.modelSha256 && after.modelSha256 && before.modelSha256 !== after.modelSha256),
  };
  return { ...base, text: describe(base) };
}

/** Pairs two runs' latencies by (variant, scenario, threads, provider) and compares them. */
export function compareRuns(before: RunRecord, after: RunRecord): LatencyChange[] {
  const changes: LatencyChange[] = [];
  for (const b of before.latencies) {
    const a = after.latencies.find((l) => l.variant === b.variant && l.scenario === b.scenario && l.threads === b.threads && l.provider === b.provider);
    if (a) changes.push(change(before, b, after, a));
  }
  return changes;
}

/**
 * For every series (model, device, variant, scenario, threads, provider) with two or more
 * measurements among `runs`, the latest against the one before it.
 */
export function latestChanges(runs: readonly RunRecord[]): LatencyChange[] {
  const series = new Map<string, Array<{ run: RunRecord; latency: LatencyRecord }>>();
  for (const run of runs) {
    for (const latency of run.latencies) {
      const key = [run.modelName, run.device, latency.variant, latency.scenario, latency.threads, latency.provider].join('\u0000');
      (series.get(key) ?? series.set(key, []).get(key)!).push({ run, latency });
    }
  }
  const changes: LatencyChange[] = [];
  for (const points of series.values()) {
    if (points.length < 2) continue;
    points.sort((x, y) => (x.run.createdAt < y.run.createdAt ? 1 : x.run.createdAt > y.run.createdAt ? -1 : 0));
    changes.push(change(points[1]!.run, points[1]!.latency, points[0]!.run, points[0]!.latency));
  }
  return changes.sort((x, y) => x.text.localeCompare(y.text));
}

/** The history table: one line per measurement, newest run first. */
export function formatHistory(runs: readonly RunRecord[]): string {
  const rows: string[][] = [['when (UTC)', 'kind', 'device', 'model', 'variant', 'scenario', 'thr', 'p50 ms', '95% CI of p50', 'mAP50-95', 'run']];
  for (const run of runs) {
    const when = run.createdAt.replace('T', ' ').slice(0, 19);
    const variants = new Set([...run.latencies.map((l) => l.variant), ...run.accuracies.map((a) => a.variant)]);
    if (variants.size === 0) rows.push([when, run.kind, run.device, run.modelName, '-', '-', '-', '-', '-', '-', run.id.slice(0, 8)]);
    for (const variant of variants) {
      const accuracy = run.accuracies.find((a) => a.variant === variant);
      const map = accuracy ? (accuracy.map50_95 * 100).toFixed(2) : '-';
      const latencies = run.latencies.filter((l) => l.variant === variant);
      if (latencies.length === 0) rows.push([when, run.kind, run.device, run.modelName, variant, '-', '-', '-', '-', map, run.id.slice(0, 8)]);
      for (const l of latencies) {
        const interval = l.medianCi95 ? `[${ms(l.medianCi95[0])}, ${ms(l.medianCi95[1])}]` : '-';
        rows.push([when, run.kind, run.device, run.modelName, variant, l.scenario, String(l.threads), ms(l.p50Ms), interval, map, run.id.slice(0, 8)]);
      }
    }
    for (const error of run.errors.slice(0, 3)) rows.push(['', '', '', '', `error: ${error.slice(0, 100)}`, '', '', '', '', '', '']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i]!.startsWith('error:') ? 0 : r[i]!.length))));
  return rows.map((r) => r.map((cell, i) => (cell.startsWith('error:') ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}
