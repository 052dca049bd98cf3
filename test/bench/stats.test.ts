import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/util/random.js';
import { bootstrapMedianCi95, computeTimingStats, isPreciseEnough, percentile, sampleStd } from '../../src/bench/stats.js';

describe('percentile (linear interpolation, type 7)', () => {
  it('interpolates between closest ranks', () => {
    expect(percentile([10, 20], 0.25)).toBeCloseTo(12.5, 12);
    expect(percentile([5, 1, 4, 2, 3], 0.95)).toBeCloseTo(4.8, 12); // h = 4·0.95 = 3.8 → 4 + 0.8·1
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([7], 0.99)).toBe(7);
  });
});

describe('computeTimingStats', () => {
  it('matches hand-computed values for 1..5', () => {
    const s = computeTimingStats([3, 1, 5, 2, 4]);
    expect(s.runs).toBe(5);
    expect(s.meanMs).toBe(3);
    expect(s.stdMs).toBeCloseTo(Math.sqrt(2.5), 12); // sample std: Σ(x-3)² = 10, /4
    expect(s.minMs).toBe(1);
    expect(s.maxMs).toBe(5);
    expect(s.p50Ms).toBe(3);
    expect(s.p25Ms).toBe(2);
    expect(s.p75Ms).toBe(4);
    expect(s.iqrMs).toBe(2);
    expect(s.p95Ms).toBeCloseTo(4.8, 12);
    expect(s.p99Ms).toBeCloseTo(4.96, 12);
    expect(s.p5Ms).toBeCloseTo(1.2, 12);
    expect(s.fps).toBeCloseTo(1000 / 3, 12);
    expect(s.cv).toBeCloseTo(Math.sqrt(2.5) / 3, 12);
    expect(s.outliers).toBe(0);
  });

  it('counts values more than 2 std from the mean as outliers', () => {
    // mean 1.9; Σ(x-1.9)² = 9·0.81 + 8.1² = 72.9; std = √(72.9/9) = 2.846; |10-1.9| = 8.1 > 5.69
    const s = computeTimingStats([1, 1, 1, 1, 1, 1, 1, 1, 1, 10]);
    expect(s.meanMs).toBeCloseTo(1.9, 12);
    expect(s.stdMs).toBeCloseTo(Math.sqrt(8.1), 12);
    expect(s.outliers).toBe(1);
  });

  it('gives a zero-width CI and zero spread for constant timings', () => {
    const s = computeTimingStats([4, 4, 4, 4]);
    expect(s.medianCi95).toEqual([4, 4]);
    expect(s.ciHalfWidthRel).toBe(0);
    expect(s.cv).toBe(0);
    expect(s.outliers).toBe(0);
    expect(isPreciseEnough(s)).toBe(true);
  });

  it('rejects an empty sample', () => {
    expect(() => computeTimingStats([])).toThrow(/no timings/);
  });
});

describe('bootstrap CI of the median', () => {
  const random = seededRandom(7);
  const sample = Array.from({ length: 200 }, () => 50 + random() * 10);

  it('is reproducible (seeded) and brackets the median', () => {
    const a = bootstrapMedianCi95(sample);
    const b = bootstrapMedianCi95(sample);
    expect(a).toEqual(b);
    const median = percentile(sample, 0.5);
    expect(a[0]).toBeLessThanOrEqual(median);
    expect(a[1]).toBeGreaterThanOrEqual(median);
    // Uniform on [50,60): the median's SE is ≈ 10·√(1/(4n))·… — the interval is well under ±2%.
    expect((a[1] - a[0]) / 2 / median).toBeLessThan(0.02);
  });

  it('narrows as the sample grows', () => {
    const small = bootstrapMedianCi95(sample.slice(0, 20));
    const large = bootstrapMedianCi95(sample);
    expect(large[1] - large[0]).toBeLessThan(small[1] - small[0]);
  });

  it('sample std of one value is 0', () => {
    expect(sampleStd([3])).toBe(0);
  });
});

describe('seededRandom', () => {
  it('repeats for a seed, differs across seeds, stays in [0,1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.slice(0, 5)).not.toEqual(Array.from({ length: 5 }, () => c()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});
