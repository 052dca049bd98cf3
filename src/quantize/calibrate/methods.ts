import { EdgeoptError } from '../../util/errors.js';
import type { ActivationStats } from './histogram.js';

/** How a tensor's float range is chosen from its calibration statistics. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

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

export function calibratedRange(stats: ActivationStats, options: RangeOptions): TensorRange {
  switch (options.method) {
    case 'minmax':
      return minMaxRange(stats);
    case 'percentile':
      return percentileRange(stats, options.percentile ?? DEFAULT_PERCENTILE);
    case 'entropy':
      return entropyRange(stats, options.quantizedBins ?? 128);
    default:
      throw new EdgeoptError(`unknown calibration method '${String(options.method)}' (expected ${CALIBRATION_METHODS.join(', ')})`);
  }
}
