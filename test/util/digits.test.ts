import { describe, expect, it } from 'vitest';
import { compareAscii, groupDigits } from '../../src/util/digits.js';

describe('groupDigits', () => {
  it("writes integers as toLocaleString('en-US') does", () => {
    for (const n of [0, 7, 999, 1000, 65_535, 1_872_157, 1_000_000, -1_234_567, 12.5, 1234.5]) expect(groupDigits(n)).toBe(n.toLocaleString('en-US'));
  });

  it('leaves what it cannot group as String() writes it', () => {
    expect(groupDigits(Number.NaN)).toBe('NaN');
    expect(groupDigits(1e21)).toBe('1e+21');
  });
});

describe('compareAscii', () => {
  it('orders ASCII class names as localeCompare does when case agrees', () => {
    const names = ['torch.nn.modules.conv.Conv2d', 'models.common.C3', 'models.common.Conv', 'models.yolo.Detect', 'models.common.Bottleneck'];
    expect([...names].sort(compareAscii)).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(compareAscii('a', 'a')).toBe(0);
  });
});
