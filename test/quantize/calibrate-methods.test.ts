import { describe, expect, it } from 'vitest';
import {
  ActivationStats,
  calibratedRange,
  entropyThreshold,
  minMaxRange,
  percentileRange,
  percentileThreshold,
} from '../../src/quantize/calibrate/index.js';
import { EdgeoptError } from '../../src/util/errors.js';

/** Stats over 0..999 (each integer once) plus extras: exact hand-checkable quantiles with 1000 bins of width 1. */
function statsOf(values: number[], bins = 1000): ActivationStats {
  const s = new ActivationStats(bins);
  s.update(Float32Array.from(values));
  return s;
}

describe('ActivationStats', () => {
  it('keeps exact min/max and counts every finite value once, skipping NaN/Inf', () => {
    const s = new ActivationStats(8);
    s.update(Float32Array.of(-1, 0.5, 2, Number.NaN, Number.POSITIVE_INFINITY));
    expect([s.min, s.max, s.count]).toEqual([-1, 2, 3]);
    expect([...s.bins].reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('doubles its range and merges bins exactly when a later batch is larger', () => {
    const s = new ActivationStats(4);
    s.update(Float32Array.of(0.1, 0.6, 1.1, 1.6, 2)); // range 2, width 0.5: bins [1,1,1,2]
    expect([...s.bins]).toEqual([1, 1, 1, 2]);
    s.update(Float32Array.of(3.9, -3)); // range 4, width 1: old pairs merge to [2,3], new 3.9 and |-3| in bin 3
    expect(s.range).toBe(4);
    expect([...s.bins]).toEqual([2, 3, 0, 2]);
    expect([s.min, s.max, s.count]).toEqual([-3, Math.fround(3.9), 7]);
  });

  it('streams: memory is one histogram whatever the number of batches', () => {
    const s = new ActivationStats(64);
    for (let i = 0; i < 200; i++) s.update(Float32Array.from({ length: 100 }, (_, k) => (k - 50) * 0.01 * (1 + (i % 3))));
    expect(s.bins.length).toBe(64);
    expect(s.count).toBe(20000);
    expect(s.min).toBeCloseTo(-1.5, 5);
  });
});

describe('calibration methods', () => {
  // 0.5 … 998.5 and 1000: the range is 1000, so with 1000 bins value i + 0.5 sits alone in bin i.
  const uniform = [...Array.from({ length: 999 }, (_, i) => i + 0.5), 1000];

  it('minmax is the exact range widened to include 0', () => {
    expect(minMaxRange(statsOf([2, 3, 5]))).toEqual({ min: 0, max: 5 });
    expect(minMaxRange(statsOf([-4, -1]))).toEqual({ min: -4, max: 0 });
  });

  it('percentile clips the |x| tail at the requested quantile (bin upper edge)', () => {
    const s = statsOf(uniform);
    // 99% of 1000 values = 990 values ≤ T: the 990th value sits in bin 989, whose upper edge is 990.
    expect(percentileThreshold(s, 99)).toBeCloseTo(990, 6);
    expect(percentileRange(s, 99)).toEqual({ min: 0, max: expect.closeTo(990, 6) });
    expect(percentileThreshold(s, 100)).toBeCloseTo(1000, 6);
  });

  it('percentile keeps the sign structure: negative side clipped at -T but never below the true min', () => {
    const s = statsOf([...uniform.map((v) => -v), 1, 2]);
    const r = percentileRange(s, 50);
    expect(r.max).toBe(2); // true max is below the threshold
    expect(r.min).toBeLessThan(-400);
    expect(r.min).toBeGreaterThan(-600);
  });

  it('entropy keeps everything when all values fit in the quantized levels', () => {
    const bins = new Float64Array(2048);
    for (let i = 0; i < 100; i++) bins[i] = 10;
    expect(entropyThreshold(bins, 0.01, 128)).toBeCloseTo(1.0, 9); // 100 occupied bins ≤ 128 levels
  });

  it('entropy clips the sparse tail of a decaying distribution but keeps almost all of its mass', () => {
    const bins = Float64Array.from({ length: 2048 }, (_, i) => Math.round(1e6 * Math.exp(-i / 100)));
    bins[2047] = 1; // one far outlier
    const t = entropyThreshold(bins, 1, 128);
    expect(t).toBeGreaterThan(128);
    expect(t).toBeLessThan(1500); // the outlier and the empty stretch before it are clipped
    let kept = 0;
    let total = 0;
    bins.forEach((b, i) => {
      total += b;
      if (i < t) kept += b;
    });
    expect(kept / total).toBeGreaterThan(0.99);
  });

  it('entropy keeps the full range for a uniform distribution without outliers', () => {
    const bins = new Float64Array(1024).fill(5);
    expect(entropyThreshold(bins, 1, 128)).toBeGreaterThan(1000);
  });

  it('rejects unknown methods and absurd percentiles', () => {
    const s = statsOf(uniform);
    expect(() => calibratedRange(s, { method: 'median' as never })).toThrow(EdgeoptError);
    expect(() => percentileThreshold(s, 0)).toThrow(EdgeoptError);
    expect(() => percentileThreshold(s, 101)).toThrow(EdgeoptError);
  });
});
