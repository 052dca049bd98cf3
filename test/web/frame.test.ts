import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript of the demo page (type-checked by tsconfig.web.json, not here)
import { greyInput, inputSize, rgbaToModelInput, toFrameDetections } from '../../web/frame.js';
import { letterboxGeometry } from '../../src/image/letterbox.js';
import { letterboxToTensor } from '../../src/image/preprocess.js';
import { DEFAULT_INPUT_SIZE } from '../../src/image/input-size.js';
import { LETTERBOX_PAD_VALUE } from '../../src/image/preprocess.js';
import { float16BitsToFloat32 } from '../../src/util/float16.js';
import { seededRandom } from '../../src/util/random.js';

function randomRgb(width: number, height: number): Buffer {
  const random = seededRandom(7);
  return Buffer.from(Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)));
}

function rgbToRgba(rgb: Buffer): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray((rgb.length / 3) * 4);
  for (let i = 0, o = 0; i < rgb.length; i += 3, o += 4) {
    rgba[o] = rgb[i]!;
    rgba[o + 1] = rgb[i + 1]!;
    rgba[o + 2] = rgb[i + 2]!;
    rgba[o + 3] = 255;
  }
  return rgba;
}

describe('web/frame.js (the demo page builds the model input with the CLI modules)', () => {
  it('falls back to the CLI input size for symbolic dims only', () => {
    expect(inputSize({ inputShape: [1, 3, null, null] })).toEqual([DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE]);
    expect(inputSize({ inputShape: [1, 3, 320, 480] })).toEqual([480, 320]);
  });

  it('packs RGBA pixels into exactly the tensor the node preprocessing makes from the same pixels', async () => {
    // 64×40 into 64×64 needs no resize (ratio 1), so both paths see identical pixels and must agree bit for bit.
    const pixels = randomRgb(64, 40);
    const node = await letterboxToTensor({ pixels, width: 64, height: 40 }, { width: 64, height: 64 });
    const geometry = letterboxGeometry(64, 40, 64, 64);
    expect(geometry.padTop).toBe(12);
    const web = rgbaToModelInput(rgbToRgba(pixels), geometry, { inputShape: [1, 3, 64, 64], inputType: 'float32' });
    expect(web.dims).toEqual([1, 3, 64, 64]);
    expect(web.data).toBeInstanceOf(Float32Array);
    expect(Array.from(web.data)).toEqual(Array.from(node.data));
    expect(web.data[0]).toBeCloseTo(LETTERBOX_PAD_VALUE / 255, 7); // the border
  });

  it('gives float16 models half-precision bits of the same values', () => {
    const geometry = letterboxGeometry(2, 2, 2, 2);
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 51, 102, 153, 255]);
    const half = rgbaToModelInput(rgba, geometry, { inputShape: [1, 3, 2, 2], inputType: 'float16' });
    expect(half.data).toBeInstanceOf(Uint16Array);
    const values = Array.from(half.data as Uint16Array, float16BitsToFloat32);
    // R plane, then G, then B: pixel 0 is red, 1 green, 2 blue, 3 is (51, 102, 153) = (0.2, 0.4, 0.6).
    expect(values.slice(0, 4).map((v) => +v.toFixed(3))).toEqual([1, 0, 0, 0.2]);
    expect(values.slice(4, 8).map((v) => +v.toFixed(3))).toEqual([0, 1, 0, 0.4]);
    expect(values.slice(8, 12).map((v) => +v.toFixed(3))).toEqual([0, 0, 1, 0.6]);
  });

  it('benchmarks on the border grey before any frame exists', () => {
    const grey = greyInput({ inputShape: [1, 3, 32, 48], inputType: 'float32' });
    expect(grey.dims).toEqual([1, 3, 32, 48]);
    expect(grey.data.length).toBe(3 * 32 * 48);
    expect(new Set(grey.data)).toEqual(new Set([Math.fround(LETTERBOX_PAD_VALUE / 255)]));
  });

  it('maps boxes from model-input pixels back to the frame', () => {
    const geometry = letterboxGeometry(1280, 720, 640, 640); // ratio 0.5, 140 px of padding above
    const [d] = toFrameDetections([{ box: [100, 240, 200, 340], score: 0.9, classId: 3 }], geometry, 1280, 720);
    expect(d).toEqual({ box: [200, 200, 400, 400], score: 0.9, classId: 3 });
  });
});
