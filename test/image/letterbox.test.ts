import { describe, expect, it } from 'vitest';
import { roundHalfToEven } from '../../src/util/rounding.js';
import { letterboxGeometry, unletterboxBox } from '../../src/image/letterbox.js';

describe('letterboxGeometry', () => {
  it('matches the reference letterbox of bus.jpg (810x1080) and zidane.jpg (1280x720)', () => {
    expect(letterboxGeometry(810, 1080, 640, 640)).toEqual({
      ratioX: 640 / 1080, ratioY: 640 / 1080, newWidth: 480, newHeight: 640, padLeft: 80, padRight: 80, padTop: 0, padBottom: 0,
    });
    expect(letterboxGeometry(1280, 720, 640, 640)).toMatchObject({ ratioX: 0.5, ratioY: 0.5, newWidth: 640, newHeight: 360, padTop: 140, padBottom: 140 });
  });

  it('puts the odd pixel of an odd padding at the bottom, and scales small images up', () => {
    const g = letterboxGeometry(100, 33, 64, 64);
    expect(g.newHeight).toBe(21); // round(33 * 0.64) = round(21.12)
    expect([g.padTop, g.padBottom]).toEqual([21, 22]);
    expect(g.padTop + g.newHeight + g.padBottom).toBe(64);
    const up = letterboxGeometry(320, 240, 640, 640);
    expect(up).toMatchObject({ ratioX: 2, newWidth: 640, newHeight: 480, padTop: 80, padBottom: 80 });
  });

  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, -1.5, 2.4, 2.6].map(roundHalfToEven)).toEqual([0, 2, 2, -2, 2, 3]);
  });

  it('rejects empty sizes', () => {
    expect(() => letterboxGeometry(0, 10, 640, 640)).toThrow(/positive/);
  });
});

describe('unletterboxBox', () => {
  it('maps model-input boxes back to source pixels and clips them to the image', () => {
    const g = letterboxGeometry(810, 1080, 640, 640);
    const src = [100, 200, 400, 900];
    const input = [src[0]! * g.ratioX + 80, src[1]! * g.ratioX, src[2]! * g.ratioX + 80, src[3]! * g.ratioX];
    unletterboxBox(input, g, 810, 1080).forEach((v, i) => expect(v).toBeCloseTo(src[i]!, 6));
    expect(unletterboxBox([0, -5, 639, 700], g, 810, 1080)).toEqual([0, 0, 810, 1080]);
  });
});
