import { EdgeoptError } from '../../util/errors.js';
import type { ActivationStats } from './histogram.js';

/** How a tensor's float range is chosen from its calibration statistics. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

/** A calibrated float range; always contains 0 so that zero is exactly representable (padding, ReLU-like outputs). */
export interface TensorRange {
  min: number;
  max: number;
}

export interface RangeOptions {
  method: CalibrationMethod;
  /** Percentile of |x| kept by 'percentile' (e.g. 99.999). */
  percentile?: number;
  /** Quantization levels the entropy search assumes for the kept magnitude range (127 for int8, 255 for uint8). */
  quantizedBins?: number;
  /** 'mse': the grid is symmetric around zero (int8) instead of spanning [min, max] (uint8, the default). */
  symmetric?: boolean;
}

export const DEFAULT_PERCENTILE = 99.999;

function withZero(min: number, max: number): TensorRange {
  return { min: Math.min(0, min), max: Math.max(0, max) };
}

export function minMaxRange(stats: ActivationStats): TensorRange {
  if (stats.count === 0) return { min: 0, max: 0 };
  return withZero(stats.min, stats.max);
}

/** Clips the exact range to ±threshold (a magnitude from the |x| histogram). */
function clippedRange(stats: ActivationStats, threshold: number): TensorRange {
  return withZero(Math.max(stats.min, -threshold), Math.min(stats.max, threshold));
}

/**
 * Smallest magnitude T such that at least `percentile`% of the values satisfy |x| <= T, at bin resolution
 * (the upper edge of the bin where the cumulative count crosses the target).
 */
export function percentileThreshold(stats: ActivationStats, percentile: number): number {
  if (!(percentile > 0 && percentile <= 100)) throw new EdgeoptError(`percentile must be in (0, 100], got ${percentile}`);
  if (stats.count === 0 || stats.range === 0) return 0;
  const target = (stats.count * percentile) / 100;
  let cumulative = 0;
  for (let b = 0; b < stats.bins.length; b++) {
    cumulative += stats.bins[b]!;
    if (cumulative >= target) return (b + 1) * stats.binWidth;
  }
  return stats.range;
}

export function percentileRange(stats: ActivationStats, percentile = DEFAULT_PERCENTILE): TensorRange {
  if (stats.count === 0) return { min: 0, max: 0 };
  return clippedRange(stats, percentileThreshold(stats, percentile));
}

/**
 * The clipping threshold that minimises KL(P || Q), where P is the |x| distribution with everything beyond the
 * threshold folded into the last kept bin, and Q is P squeezed into `quantizedBins` levels and expanded back
 * (each level's mass spread evenly over the bins it covers that were non-empty in P). This is the idea of
 * TensorRT's entropy calibrator: clip the tail when the resolution gained inside the range is worth more
 * than the information lost in the tail.
 */
export function entropyThreshold(bins: ArrayLike<number>, binWidth: number, quantizedBins = 128): number {
  const n = bins.length;
  let total = 0;
  let lastNonZero = -1;
  for (let i = 0; i < n; i++) {
    total += bins[i]!;
    if (bins[i]! > 0) lastNonZero = i;
  }
  if (total === 0 || lastNonZero < 0) return 0;
  // Fewer occupied bins than levels: every value is already representable, nothing to clip.
  if (lastNonZero + 1 <= quantizedBins) return (lastNonZero + 1) * binWidth;
  let tail = 0;
  for (let i = quantizedBins; i < n; i++) tail += bins[i]!;
  let bestKl = Number.POSITIVE_INFINITY;
  let bestEnd = lastNonZero + 1;
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  for (let end = quantizedBins; end <= lastNonZero + 1; end++) {
    // P: bins [0, end) with the tail (bins >= end) added to the last kept bin.
    for (let i = 0; i < end; i++) p[i] = bins[i]!;
    p[end - 1] = p[end - 1]! + tail;
    if (end < n) tail -= bins[end]!;
    // Q: the clipped histogram WITHOUT the folded tail, merged into quantizedBins groups, each group's mass spread
    // evenly over the bins that are non-empty in P. The tail is what clipping loses; the merging is what rounding loses.
    for (let g = 0; g < quantizedBins; g++) {
      const start = Math.floor((g * end) / quantizedBins);
      const stop = Math.floor(((g + 1) * end) / quantizedBins);
      let mass = 0;
      let occupied = 0;
      for (let i = start; i < stop; i++) {
        mass += bins[i]!;
        if (p[i]! > 0) occupied++;
      }
      for (let i = start; i < stop; i++) q[i] = occupied > 0 && p[i]! > 0 ? mass / occupied : 0;
    }
    let pSum = 0;
    let qSum = 0;
    for (let i = 0; i < end; i++) {
      pSum += p[i]!;
      qSum += q[i]!;
    }
    let kl = 0;
    for (let i = 0; i < end; i++) {
      const pi = p[i]! / pSum;
      if (pi === 0) continue;
      // A kept value with no quantized mass (a tail folded into an empty bin) gets a tiny floor instead of infinity.
      const qi = Math.max(q[i]! / qSum, 1e-12);
      kl += pi * Math.log(pi / qi);
    }
    if (kl < bestKl) {
      bestKl = kl;
      bestEnd = end;
    }
  }
  return bestEnd * binWidth;
}

export function entropyRange(stats: ActivationStats, quantizedBins = 128): TensorRange {
  if (stats.count === 0) return { min: 0, max: 0 };
  return clippedRange(stats, entropyThreshold(stats.bins, stats.binWidth, quantizedBins));
}

/**
 * Sums over the histogram bins at or beyond each edge, of count, count·x and count·x² (x = bin centre), so that the
 * squared clipping error Σ (x − h)² of a threshold h at a bin edge costs O(1).
 */
function tailSums(bins: ArrayLike<number>, width: number): { n: Float64Array; s1: Float64Array; s2: Float64Array } {
  const k = bins.length;
  const n = new Float64Array(k + 1);
  const s1 = new Float64Array(k + 1);
  const s2 = new Float64Array(k + 1);
  for (let i = k - 1; i >= 0; i--) {
    const c = (i + 0.5) * width;
    const count = Math.max(0, bins[i]!);
    n[i] = n[i + 1]! + count;
    s1[i] = s1[i + 1]! + count * c;
    s2[i] = s2[i + 1]! + count * c * c;
  }
  return { n, s1, s2 };
}

/**
 * The range that minimises the expected squared quantization error of the tensor itself: rounding noise
 * (step²/12 for every value inside the range) plus clipping error (x − bound)² for every value beyond it, with
 * each side of zero clipped on its own for an asymmetric (uint8) grid. Read from the calibration histograms at
 * bin resolution: a tensor with a few huge outliers gets a tighter range than min-max, one without outliers keeps
 * its extremes (unlike a fixed percentile, which clips a fixed share whatever the shape of the tail).
 */
export function mseRange(stats: ActivationStats, options: { levels?: number; symmetric?: boolean } = {}): TensorRange {
  if (stats.count === 0 || stats.range === 0) return withZero(stats.min, stats.max);
  const levels = options.levels ?? 255;
  const width = stats.binWidth;
  const k = stats.bins.length;
  const positive = new Float64Array(k);
  for (let i = 0; i < k; i++) positive[i] = stats.bins[i]! - stats.negativeBins[i]!;
  const pos = tailSums(positive, width);
  const neg = tailSums(stats.negativeBins, width);
  const total = pos.n[0]! + neg.n[0]!;
  // Candidate bounds: bin edges up to each side's extreme (the extreme itself closes the list).
  const maxPos = Math.max(0, stats.max);
  const maxNeg = Math.max(0, -stats.min);
  const edges = (extreme: number): number[] => {
    const last = Math.min(k, Math.ceil(extreme / width));
    const list: number[] = [];
    const stride = Math.max(1, Math.floor(last / 512));
    for (let e = stride; e < last; e += stride) list.push(e);
    list.push(last);
    return list;
  };
  const clip = (t: ReturnType<typeof tailSums>, edge: number, bound: number) =>
    edge >= k ? 0 : Math.max(0, t.s2[edge]! - 2 * bound * t.s1[edge]! + bound * bound * t.n[edge]!);
  const inside = (edgeP: number, edgeN: number) => total - (edgeP < k ? pos.n[edgeP]! : 0) - (edgeN < k ? neg.n[edgeN]! : 0);
  const boundOf = (edge: number, extreme: number) => Math.min(edge * width, extreme);
  let best = { error: Number.POSITIVE_INFINITY, hi: maxPos, lo: maxNeg };
  const positives = maxPos > 0 ? edges(maxPos) : [0];
  const negatives = maxNeg > 0 ? edges(maxNeg) : [0];
  if (options.symmetric) {
    for (const e of positives.length >= negatives.length ? positives : negatives) {
      const t = boundOf(e, Math.max(maxPos, maxNeg));
      const step = (2 * t) / levels;
      const error = (inside(e, e) * step * step) / 12 + clip(pos, e, t) + clip(neg, e, t);
      if (error < best.error) best = { error, hi: t, lo: t };
    }
    return withZero(-Math.min(best.lo, maxNeg), Math.min(best.hi, maxPos));
  }
  for (const ep of positives) {
    const hi = boundOf(ep, maxPos);
    const tailP = clip(pos, ep, hi);
    if (tailP >= best.error) continue;
    for (const en of negatives) {
      const lo = boundOf(en, maxNeg);
      const step = (hi + lo) / levels;
      const error = (inside(ep, en) * step * step) / 12 + tailP + clip(neg, en, lo);
      if (error < best.error) best = { error, hi, lo };
    }
  }
  return withZero(-best.lo, best.hi);
}

export function calibratedRange(stats: ActivationStats, options: RangeOptions): TensorRange {
  switch (options.method) {
    case 'minmax':
      return minMaxRange(stats);
    case 'percentile':
      return percentileRange(stats, options.percentile ?? DEFAULT_PERCENTILE);
    case 'entropy':
      return entropyRange(stats, options.quantizedBins ?? 128);
    case 'mse':
      return mseRange(stats, { levels: 255, symmetric: options.symmetric });
    default:
      throw new EdgeoptError(`unknown calibration method '${String(options.method)}' (expected ${CALIBRATION_METHODS.join(', ')})`);
  }
}
