import { describe, expect, it } from 'vitest';
import { DataQuality, describeDataQuality, formatPercent, parseMaxBad } from '../../src/util/data-quality.js';

describe('DataQuality', () => {
  it('counts by reason, warns once per item, and fails only past --max-bad', () => {
    const warnings: string[] = [];
    const q = new DataQuality({ maxBad: 0.25, onWarning: (l) => warnings.push(l), what: 'data' });
    for (let i = 0; i < 3; i++) q.goodImage();
    q.badImage('d.jpg', 'corrupt', 'not a readable image (x)');
    q.goodLabels(9);
    q.badLabel('d.txt:2', 'duplicate', 'same class and box as d.txt:1');
    expect(warnings).toEqual(['d.jpg: not a readable image (x); image skipped', 'd.txt:2: same class and box as d.txt:1; line skipped']);
    expect(() => q.enforce()).not.toThrow(); // 25% of the images is not more than 25%
    q.badImage('e.jpg', 'empty', 'empty file (0 bytes)');
    expect(() => q.enforce()).toThrow(/^data: 2 of 5 \(40%\) of the images are unusable \(1 corrupt, 1 empty\), more than --max-bad 25%/);
    expect(describeDataQuality(q.summary())).toBe('2 of 5 images skipped: 1 corrupt, 1 empty; 1 of 10 label lines skipped: 1 duplicate');
  });

  it('stops at the first bad item when strict, naming it', () => {
    const q = new DataQuality({ strict: true, labelUnit: 'annotations' });
    expect(() => q.badLabel('gt.json: annotation 7', 'zero size', 'box has zero or negative size')).toThrow(/^gt\.json: annotation 7: box has zero or negative size \(--strict stops at the first bad item\)$/);
  });

  it('says when nothing was bad', () => {
    const q = new DataQuality({ labelUnit: 'annotations' });
    q.goodImage();
    q.goodLabels(4);
    expect(describeDataQuality(q.summary())).toBe('no bad data (1 image, 4 annotations)');
  });

  it('parses --max-bad as a percentage and rejects the absurd', () => {
    expect(parseMaxBad('5')).toBe(0.05);
    expect(parseMaxBad('70%')).toBeCloseTo(0.7, 12);
    expect(parseMaxBad('0')).toBe(0);
    expect(() => parseMaxBad('-1')).toThrow(/percentage from 0 to 100/);
    expect(() => parseMaxBad('150')).toThrow(/percentage/);
    expect(() => parseMaxBad('lots')).toThrow(/percentage/);
    expect(formatPercent(0.375)).toBe('37.5%');
    expect(formatPercent(0.64)).toBe('64%');
  });
});
