import { describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { preprocessFor } from '../../src/image/families.js';
import { decodeRgb, letterboxToTensor, loadImageTensor } from '../../src/image/preprocess.js';

function difference(a: Float32Array, b: Float32Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

describe('letterboxToTensor', () => {
  it('pads with 114/255, keeps RGB order and writes NCHW planes', async () => {
    // A 4x2 image: left half pure red, right half pure blue.
    const pixels = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) pixels.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    const t = await letterboxToTensor({ pixels, width: 4, height: 2 }, { width: 4, height: 4 });
    expect(t.dims).toEqual([1, 3, 4, 4]);
    expect(t.geometry).toMatchObject({ ratioX: 1, padTop: 1, padBottom: 1 });
    expect(t.data[0]).toBeCloseTo(114 / 255, 6); // top padding row, R plane
    expect(t.data[4]).toBe(1); // row 1, x 0: red in the R plane
    expect(t.data[16 + 4]).toBe(0); // … and nothing in G
    expect(t.data[32 + 7]).toBe(1); // row 1, x 3: blue in the B plane
  });
});

describe.skipIf(!hasAssets)('loadImageTensor vs the OpenCV reference letterbox', () => {
  it('reproduces zidane_letterbox640.npy exactly and bus_letterbox640.npy within JPEG-decoder differences', async () => {
    const zidane = await loadImageTensor(asset('images', 'zidane.jpg'), { width: 640, height: 640 });
    const zidaneDiff = difference(zidane.data, readNpyFloat32(asset('reference', 'zidane_letterbox640.npy')).data);
    expect(zidaneDiff.max).toBeLessThan(1e-6);
    const bus = await loadImageTensor(asset('images', 'bus.jpg'), { width: 640, height: 640 });
    expect([bus.srcWidth, bus.srcHeight]).toEqual([810, 1080]);
    const busDiff = difference(bus.data, readNpyFloat32(asset('reference', 'bus_letterbox640.npy')).data);
    // Measured: mean 0.0050 (1.3/255), max 0.216 (55/255). The resampling itself matches OpenCV's INTER_LINEAR
    // (zidane is exact); sharp's JPEG decoder differs from OpenCV's on bus.jpg.
    expect(busDiff.mean).toBeLessThan(0.007);
    expect(busDiff.max).toBeLessThan(0.25);
  });

  it('is declared as the preprocessing of both YOLO families', async () => {
    for (const family of ['yolov5', 'ultralytics'] as const) {
      const t = await preprocessFor(family).load(asset('images', 'zidane.jpg'), { width: 320, height: 320 });
      expect(t.dims).toEqual([1, 3, 320, 320]);
      expect(t.geometry).toMatchObject({ ratioY: 0.25, padTop: 70 });
    }
  });

  it('fails with a one-line message for a file that is not an image', async () => {
    await expect(decodeRgb(asset('coco80_classes.txt'))).rejects.toThrow(/cannot decode image .*coco80_classes\.txt/);
    await expect(decodeRgb(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).rejects.toThrow(/cannot decode image/);
  });
});
