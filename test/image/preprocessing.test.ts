import { describe, expect, it } from 'vitest';
import { resizeGeometry, unletterboxBox } from '../../src/image/letterbox.js';
import { decodeRgb, preprocessImage } from '../../src/image/preprocess.js';
import { formatPreprocessing, packTensor, padTensor, parsePreprocessFlag, YOLO_PREPROCESSING, type ImagePreprocessing } from '../../src/image/preprocessing.js';

describe('parsePreprocessFlag', () => {
  it('reads any subset of the keys, fractions and per-channel values included', () => {
    expect(parsePreprocessFlag('color=bgr,scale=1/255,mean=0.485:0.456:0.406,std=58,resize=letterbox-topleft,pad=0,layout=nhwc,size=416x320')).toEqual({
      color: 'bgr', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [58, 58, 58], resize: 'letterbox-topleft', pad: 0, layout: 'nhwc', width: 416, height: 320,
    });
    expect(parsePreprocessFlag('scale=1')).toEqual({ scale: 1 });
  });

  it('rejects bad keys and values with one line naming what was expected', () => {
    expect(() => parsePreprocessFlag('colour=rgb')).toThrow(/unknown key 'colour' \(known: size, resize, pad, color/);
    expect(() => parsePreprocessFlag('color=grey')).toThrow(/color=grey: expected rgb \| bgr/);
    expect(() => parsePreprocessFlag('pad=300')).toThrow(/pad=300: expected an integer grey level 0-255/);
    expect(() => parsePreprocessFlag('std=0:1:1')).toThrow(/all above 0/);
    expect(() => parsePreprocessFlag('mean=1:2')).toThrow(/one number or three as r:g:b/);
    expect(() => parsePreprocessFlag('scale=-1')).toThrow(/positive number/);
    expect(() => parsePreprocessFlag('resize=crop')).toThrow(/letterbox \| letterbox-topleft \| stretch/);
    expect(() => parsePreprocessFlag('size')).toThrow(/missing value/);
  });

  it('prints a preprocessing back as flag text that parses to the same values', () => {
    const p: ImagePreprocessing = { ...YOLO_PREPROCESSING, width: 320, height: 320, color: 'bgr', mean: [0.485, 0.456, 0.406] };
    expect(formatPreprocessing(p)).toBe('size=320x320,resize=letterbox,pad=114,color=bgr,scale=1/255,mean=0.485:0.456:0.406,std=1,layout=nchw');
    expect({ ...YOLO_PREPROCESSING, ...parsePreprocessFlag(formatPreprocessing(p)) }).toEqual(p);
  });
});

describe('resizeGeometry', () => {
  it('places the image top-left (YOLOX) or stretches it, and maps boxes back either way', () => {
    const top = resizeGeometry(810, 1080, 640, 640, 'letterbox-topleft');
    expect(top).toMatchObject({ ratioX: 640 / 1080, newWidth: 480, padLeft: 0, padRight: 160, padTop: 0, padBottom: 0 });
    const stretch = resizeGeometry(810, 1080, 320, 320, 'stretch');
    expect(stretch).toMatchObject({ ratioX: 320 / 810, ratioY: 320 / 1080, newWidth: 320, newHeight: 320, padLeft: 0 });
    const back = unletterboxBox([32, 32, 160, 160], stretch, 810, 1080);
    [81, 108, 405, 540].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 6));
  });
});

describe('packTensor', () => {
  // A 2x1 region: a red pixel and a blue one.
  const region = { pixels: [255, 0, 0, 0, 0, 255], width: 2, height: 1, channels: 3 as const };
  const geometry = { ratioX: 1, ratioY: 1, newWidth: 2, newHeight: 1, padLeft: 0, padTop: 1, padRight: 0, padBottom: 0 };
  const base: ImagePreprocessing = { ...YOLO_PREPROCESSING, width: 2, height: 2, pad: 0 };

  it('swaps channels for BGR, applies scale then mean/std per channel, fills the pad with the normalised grey', () => {
    const p: ImagePreprocessing = { ...base, color: 'bgr', scale: 1, mean: [100, 50, 10], std: [2, 1, 5], pad: 110 };
    const t = packTensor(region, geometry, p);
    // NCHW planes in B, G, R order; row 0 is padding.
    expect(Array.from(t)).toEqual([
      (110 - 10) / 5, (110 - 10) / 5, (0 - 10) / 5, (255 - 10) / 5, // B
      110 - 50, 110 - 50, -50, -50, // G
      (110 - 100) / 2, (110 - 100) / 2, (255 - 100) / 2, (0 - 100) / 2, // R
    ]);
  });

  it('interleaves channels for NHWC', () => {
    const t = packTensor(region, geometry, { ...base, layout: 'nhwc', scale: 1 });
    expect(Array.from(t)).toEqual([0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 255]);
    expect(Array.from(padTensor({ ...base, pad: 51 }))).toEqual(new Array(12).fill(Math.fround(0.2)));
  });

  it('feeds a real image through every option (stretch, BGR, mean/std, NHWC)', async () => {
    const image = await decodeRgb(Buffer.from(await (await import('sharp')).default({ create: { width: 8, height: 4, channels: 3, background: { r: 200, g: 100, b: 50 } } }).png().toBuffer()));
    const t = await preprocessImage(image, { ...base, width: 4, height: 4, resize: 'stretch', color: 'bgr', layout: 'nhwc', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    expect(t.dims).toEqual([1, 4, 4, 3]);
    expect(Array.from(t.data.slice(0, 3)).map((v) => +v.toFixed(4))).toEqual([(50 / 255 - 0.5) / 0.25, (100 / 255 - 0.5) / 0.25, (200 / 255 - 0.5) / 0.25].map((v) => +v.toFixed(4)));
  });
});
