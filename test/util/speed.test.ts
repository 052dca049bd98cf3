import { describe, expect, it } from 'vitest';
import { formatRatio, speedRatioPhrase, speedRatioText } from '../../src/util/speed.js';

describe('speed-ratio wording', () => {
  it('says faster or slower with the ratio ≥ 1', () => {
    expect(speedRatioPhrase(19.5, 37.3, 'FP32')).toBe('1.91x faster than FP32');
    expect(speedRatioPhrase(39.8, 37.3, 'FP32')).toBe('1.07x slower than FP32');
    expect(speedRatioText(25, 50)).toBe('2.0x faster');
    expect(speedRatioText(370, 10)).toBe('37.0x slower');
  });

  it('says "as fast" whenever the printed ratio would be 1.00x, in either direction', () => {
    expect(speedRatioText(100, 100)).toBe('as fast');
    expect(speedRatioText(100.4, 100)).toBe('as fast');
    expect(speedRatioText(99.6, 100)).toBe('as fast');
    expect(speedRatioPhrase(100.4, 100, 'FP32')).toBe('as fast as FP32');
    expect(speedRatioText(101, 100)).toBe('1.01x slower');
    expect(speedRatioText(99, 100)).toBe('1.01x faster');
  });

  it('prints two decimals below 2x and one from there on', () => {
    expect(formatRatio(1.994)).toBe('1.99x');
    expect(formatRatio(1.996)).toBe('2.0x');
    expect(formatRatio(2.94)).toBe('2.9x');
  });
});
