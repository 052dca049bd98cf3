import { describe, expect, it } from 'vitest';
import { loadModelSync } from '../../src/onnx/model-io.js';
import { readFloat32 } from '../../src/quantize/context.js';
import { computeQParams, quantizeTensor, quantizeValues, roundHalfToEven, snapScaleToGrid } from '../../src/quantize/math.js';
import { asset, hasAssets } from '../helpers/assets.js';

describe('roundHalfToEven', () => {
  it('rounds ties to the even neighbour like numpy.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfToEven)).toEqual([0, 2, 2, 0, -2, -2, 2, 3]);
  });
});

describe('computeQParams', () => {
  it('uint8 asymmetric widens the range to include 0 and rounds the zero point', () => {
    // [0.5, 2] → [0, 2]: scale 2/255, zero point 0.
    expect(computeQParams(0.5, 2, 'uint8', false)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 0 });
    const p = computeQParams(-1, 3, 'uint8', false);
    expect(p.scale).toBe(Math.fround(4 / 255));
    expect(p.zeroPoint).toBe(64); // 0 - (-1)/(4/255) = 63.75 → 64
  });

  it('int8 symmetric uses [-127, 127] with zero point 0; uint8 symmetric centres on 127', () => {
    expect(computeQParams(-0.5, 2, 'int8', true)).toEqual({ scale: Math.fround(4 / 254), zeroPoint: 0 });
    expect(computeQParams(-0.5, 2, 'uint8', true).zeroPoint).toBe(127);
  });

  it('an all-zero tensor gets scale 1 and zero point 0 instead of dividing by zero', () => {
    expect(computeQParams(0, 0, 'uint8', false)).toEqual({ scale: 1, zeroPoint: 0 });
  });
});

describe('quantizeValues / quantizeTensor', () => {
  it('clips to the storage range and maps 0 exactly to the zero point', () => {
    const params = { scale: 0.1, zeroPoint: 10 };
    expect(Array.from(quantizeValues([0, 0.1, -1, -5, 30], params, 'uint8'))).toEqual([10, 11, 0, 0, 255]);
    expect(Array.from(quantizeValues([0, 0.25, -0.25], { scale: 0.5, zeroPoint: 0 }, 'int8'))).toEqual([0, 0, 0]); // ±0.5 ties → 0
  });

  it('per-channel gives each slice along the axis its own scale', () => {
    // Two output channels with ranges 1 and 100: per-tensor would crush the first channel.
    const values = Float32Array.of(-1, 0.5, 1, 0, -100, 50, 100, 0);
    const q = quantizeTensor(values, [2, 4], { type: 'int8', symmetric: true, axis: 0 });
    expect(Array.from(q.scales)).toEqual([Math.fround(2 / 254), Math.fround(200 / 254)]);
    expect(Array.from(q.data)).toEqual([-127, 64, 127, 0, -127, 64, 127, 0]);
    const perColumn = quantizeTensor(Float32Array.of(1, 10, -1, -10), [2, 2], { type: 'int8', symmetric: true, axis: 1 });
    expect(Array.from(perColumn.scales)).toEqual([Math.fround(2 / 254), Math.fround(20 / 254)]);
    expect(Array.from(perColumn.data)).toEqual([127, 127, -127, -127]);
  });
});

describe('snapScaleToGrid', () => {
  it('recovers the exact step of values that lie on a quantization grid', () => {
    const step = Math.fround(0.0033289259299635887);
    const values = Float32Array.from({ length: 256 }, (_, i) => Math.fround((i - 103) * step));
    const computed = computeQParams(values[0]!, values[255]!, 'uint8', false);
    const snapped = snapScaleToGrid(values, [[0, values.length]], computed);
    expect(snapped.scale).toBe(step);
    expect(snapped.zeroPoint).toBe(103);
  });

  it('leaves the scale of ordinary float weights alone', () => {
    let seed = 7;
    const values = Float32Array.from({ length: 500 }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
    const q = quantizeTensor(values, [500], { type: 'uint8', symmetric: false, snapToGrid: true });
    expect(q.snapped).toBe(0);
  });
});

describe.skipIf(!hasAssets)("weight quantization against onnxruntime's published YOLOv5nu", () => {
  it('reproduces every published weight code; scales match with grid snapping', () => {
    const fp32 = loadModelSync(asset('models', 'yolov5nu_fp32.onnx'));
    const published = new Map(loadModelSync(asset('models', 'yolov5nu_int8_dynamic_published.onnx')).graph.initializer.map((t) => [t.name, t]));
    let weights = 0;
    let formulaScaleMatches = 0;
    let snappedScaleMatches = 0;
    for (const tensor of fp32.graph.initializer) {
      const ref = published.get(`${tensor.name}_quantized`);
      if (!ref) continue;
      weights++;
      const values = readFloat32(tensor);
      const refScale = readFloat32(published.get(`${tensor.name}_scale`)!)[0];
      const formula = quantizeTensor(values, tensor.dims, { type: 'uint8', symmetric: false });
      const snapped = quantizeTensor(values, tensor.dims, { type: 'uint8', symmetric: false, snapToGrid: true });
      expect(Buffer.from(formula.data.buffer).equals(Buffer.from(ref.rawData!))).toBe(true);
      if (formula.scales[0] === refScale) formulaScaleMatches++;
      if (snapped.scales[0] === refScale) snappedScaleMatches++;
    }
    expect(weights).toBe(76);
    // onnxruntime's formula on the rebuilt weights is one ulp off for one tensor (model.8.cv1):
    // the rebuilt FP32 weights do not carry the original range exactly.
    expect(formulaScaleMatches).toBe(75);
    expect(snappedScaleMatches).toBe(76);
  });
});
