import { EdgeoptError } from '../util/errors.js';
import { seededRandom } from '../util/random.js';

/**
 * Latency statistics for one run set. Pure: timings in, numbers out.
 *
 * Percentiles use linear interpolation between closest ranks (Hyndman–Fan type 7, numpy's default):
 * for sorted x[0..n-1] and p in [0,1], h = (n-1)·p, value = x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]).
 * stdMs is the sample standard deviation (n-1). The median's 95% confidence interval is a percentile
 * bootstrap with a fixed seed, so the same timings always give the same interval.
 */
export interface TimingStats {
  /** Timed runs pooled into these statistics. */
  runs: number;
  meanMs: number;
  stdMs: number;
  minMs: number;
  maxMs: number;
  p5Ms: number;
  p25Ms: number;
  p50Ms: number;
  p75Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Frames per second at the mean latency: 1000 / meanMs. */
  fps: number;
  /** Coefficient of variation: stdMs / meanMs. */
  cv: number;
  /** Interquartile range p75 - p25. */
  iqrMs: number;
  /** Timings further than 2 standard deviations from the mean. */
  outliers: number;
  /** 95% bootstrap confidence interval of the median, [low, high] in ms. */
  medianCi95: [number, number];
  /** Half the CI width relative to the median (0.02 = ±2%). */
  ciHalfWidthRel: number;
}

export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 20240601;

/** Percentile p (0..1) of already sorted values, by linear interpolation (type 7). */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new EdgeoptError('percentile of an empty sample');
  const h = (sorted.length - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function percentile(values: readonly number[], p: number): number {
  return percentileSorted([...values].sort((a, b) => a - b), p);
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (divides by n-1); 0 for a single value. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sq = 0;
  for (const v of values) sq += (v - m) ** 2;
  return Math.sqrt(sq / (values.length - 1));
}

/** Percentile-bootstrap 95% CI of the median, with a seeded generator for reproducibility. */
export function bootstrapMedianCi95(
  values: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): [number, number] {
  const n = values.length;
  if (n === 0) throw new EdgeoptError('bootstrap of an empty sample');
  if (n === 1) return [values[0]!, values[0]!];
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const random = seededRandom(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const medians = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(random() * n)]!;
    sample.sort();
    const h = (n - 1) * 0.5;
    const lo = Math.floor(h);
    medians[b] = sample[lo]! + (h - lo) * (sample[Math.min(lo + 1, n - 1)]! - sample[lo]!);
  }
  medians.sort();
  const sorted = Array.from(medians);
  return [percentileSorted(sorted, 0.025), percentileSorted(sorted, 0.975)];
}

export function computeTimingStats(
  timingsMs: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): TimingStats {
  if (timingsMs.length === 0) throw new EdgeoptError('no timings to summarize');
  const sorted = [...timingsMs].sort((a, b) => a - b);
  const meanMs = mean(sorted);
  const stdMs = sampleStd(sorted);
  const p50Ms = percentileSorted(sorted, 0.5);
  const p25Ms = percentileSorted(sorted, 0.25);
  const p75Ms = percentileSorted(sorted, 0.75);
  const medianCi95 = bootstrapMedianCi95(timingsMs, options);
  return {
    runs: sorted.length,
    meanMs,
    stdMs,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    p5Ms: percentileSorted(sorted, 0.05),
    p25Ms,
    p50Ms,
    p75Ms,
    p95Ms: percentileSorted(sorted, 0.95),
    p99Ms: percentileSorted(sorted, 0.99),
    fps: 1000 / meanMs,
    cv: meanMs > 0 ? stdMs / meanMs : 0,
    iqrMs: p75Ms - p25Ms,
    outliers: stdMs > 0 ? sorted.filter((t) => Math.abs(t - meanMs) > 2 * stdMs).length : 0,
    medianCi95,
    ciHalfWidthRel: p50Ms > 0 ? (medianCi95[1] - medianCi95[0]) / 2 / p50Ms : 0,
  };
}

/** The adaptive stopping rule: the median is known to within ±`target` (relative) at 95%. */
export function isPreciseEnough(stats: Pick<TimingStats, 'ciHalfWidthRel'>, target = 0.02): boolean {
  return stats.ciHalfWidthRel <= target;
}

/**
 * 95% percentile-bootstrap CI of the relative difference of medians, (median(b) - median(a)) / median(a),
 * resampling both samples independently with a fixed seed.
 */
export function bootstrapRelativeMedianDifferenceCi95(
  a: readonly number[],
  b: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): [number, number] {
  if (a.length === 0 || b.length === 0) throw new EdgeoptError('bootstrap of an empty sample');
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const random = seededRandom(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const resampledMedian = (values: readonly number[]) => {
    const sample = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    sample.sort();
    return percentileSorted(Array.from(sample), 0.5);
  };
  const diffs: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const ma = resampledMedian(a);
    diffs.push((resampledMedian(b) - ma) / ma);
  }
  diffs.sort((x, y) => x - y);
  return [percentileSorted(diffs, 0.025), percentileSorted(diffs, 0.975)];
}
