import { describe, expect, it } from 'vitest';
import { makeDivisible, parseArchitecture, scaledDepth, scaledWidth } from '../../src/models/architecture.js';
import { roundHalfToEven } from '../../src/util/rounding.js';
import { builtinArchitecture } from '../../src/models/zoo.js';

describe('architecture yaml parsing', () => {
  it('scales depth with Python rounding and width to multiples of 8', () => {
    expect([0.5, 1.5, 2.5, 2.51].map(roundHalfToEven)).toEqual([0, 2, 2, 3]);
    // yolov5n: 3, 6, 9 repeats × 0.33 → 1, 2, 3; a single repeat is never scaled.
    expect([3, 6, 9, 1].map((n) => scaledDepth(n, 0.33))).toEqual([1, 2, 3, 1]);
    expect(makeDivisible(20)).toBe(24);
    expect(scaledWidth(1024, { widthMultiple: 0.25, maxChannels: Infinity })).toBe(256);
    // yolov8l caps at 512 channels before scaling.
    expect(scaledWidth(1024, { widthMultiple: 1, maxChannels: 512 })).toBe(512);
  });

  it('reads Ultralytics scales (and an explicit scale overrides the yaml\'s)', () => {
    const yaml = { nc: 3, scales: { n: [0.33, 0.25, 1024], s: [0.33, 0.5, 1024] }, scale: 'n', backbone: [[-1, 1, 'Conv', [64, 3, 2]]], head: [] };
    expect(parseArchitecture(yaml, 'ultralytics')).toMatchObject({ nc: 3, depthMultiple: 0.33, widthMultiple: 0.25, maxChannels: 1024, scale: 'n' });
    expect(parseArchitecture(yaml, 'ultralytics', { scale: 's' }).widthMultiple).toBe(0.5);
    expect(() => parseArchitecture(yaml, 'ultralytics', { scale: 'q' })).toThrow("model yaml: scale 'q' is not one of its scales (n, s)");
  });

  it('rejects malformed yamls with one line', () => {
    expect(() => parseArchitecture(null, 'yolov5')).toThrow('model architecture (yaml) is missing or not a dict');
    expect(() => parseArchitecture({ nc: 0, backbone: [], head: [] }, 'yolov5')).toThrow(/nc must be a positive integer/);
    expect(() => parseArchitecture({ nc: 1, backbone: [[-1, 1, 'Conv']], head: [] }, 'yolov5')).toThrow('model yaml: layer 0 is not [from, repeats, module, args]');
    expect(() => parseArchitecture({ nc: 1, backbone: [['x', 1, 'Conv', []]], head: [] }, 'yolov5')).toThrow(/layer 0 has an invalid 'from'/);
  });

  it('embeds the official architectures', () => {
    const v5 = builtinArchitecture('yolov5n');
    expect(v5).toMatchObject({ family: 'yolov5', name: 'yolov5n', nc: 80, depthMultiple: 0.33, widthMultiple: 0.25 });
    expect(v5.layers).toHaveLength(25);
    expect(v5.anchors).toEqual([[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]]);
    expect(builtinArchitecture('yolo11n').layers.map((l) => l.module)).toContain('C2PSA');
  });
});
