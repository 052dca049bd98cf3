import { describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { getMetadata } from '../../src/onnx/builder.js';
import { readCheckpoint } from '../../src/pt/checkpoint.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { relativeMaxDiff, runModel } from './model-run.js';

/** A deterministic input in [0, 1) of the given NCHW dims. */
function pattern(dims: number[], phase = 0): Float32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => ((i * 2654435761 + phase * 97) % 1000) / 1000);
}

describe.skipIf(!hasAssets)('convert options: input size, opset, dynamic batch', () => {
  const v5 = readCheckpoint(asset('models', 'yolov5n.pt'));
  const v11 = readCheckpoint(asset('ultralytics', 'yolo11n.pt'));

  it('--imgsz sets the grids: 320 square and 256x320 rectangular', async () => {
    const square = convertCheckpoint(v5, { imgsz: 320 });
    expect(getMetadata(square.model).imgsz).toBe('[320, 320]');
    const out = await runModel(square.model, pattern([1, 3, 320, 320]), [1, 3, 320, 320]);
    expect(out.dims).toEqual([1, 3 * (40 * 40 + 20 * 20 + 10 * 10), 85]);

    const rect = convertCheckpoint(v11, { imgsz: [256, 320] });
    const rectOut = await runModel(rect.model, pattern([1, 3, 256, 320]), [1, 3, 256, 320]);
    expect(rectOut.dims).toEqual([1, 84, 32 * 40 + 16 * 20 + 8 * 10]);
    expect(rectOut.data.every(Number.isFinite)).toBe(true);
  });

  it('opsets 12–21 all load and compute the same function', async () => {
    const input = pattern([1, 3, 128, 128]);
    for (const checkpoint of [v5, v11]) {
      const baseline = await runModel(convertCheckpoint(checkpoint, { imgsz: 128, opset: 17 }).model, input, [1, 3, 128, 128]);
      for (let opset = 12; opset <= 21; opset++) {
        if (opset === 17) continue;
        const { model } = convertCheckpoint(checkpoint, { imgsz: 128, opset });
        expect(model.opsetImport[0]!.version).toBe(opset);
        const out = await runModel(model, input, [1, 3, 128, 128]);
        expect(relativeMaxDiff(out.data, baseline.data).rel, `opset ${opset}`).toBeLessThan(1e-5);
      }
    }
  });

  it('--dynamic-batch gives a symbolic batch axis whose rows equal batch-1 runs', async () => {
    const { model } = convertCheckpoint(v11, { imgsz: 160, dynamicBatch: true });
    expect(model.graph.input[0]!.type!.tensorType!.shape!.dim[0]).toEqual({ dimParam: 'batch' });
    expect(model.graph.output[0]!.type!.tensorType!.shape!.dim[0]).toEqual({ dimParam: 'batch' });
    expect(getMetadata(model).batch).toBeUndefined();
    const one = 3 * 160 * 160;
    const a = pattern([1, 3, 160, 160], 1);
    const b = pattern([1, 3, 160, 160], 2);
    const both = new Float32Array(2 * one);
    both.set(a);
    both.set(b, one);
    const batched = await runModel(model, both, [2, 3, 160, 160]);
    expect(batched.dims).toEqual([2, 84, 525]);
    const single = convertCheckpoint(v11, { imgsz: 160 }).model;
    const half = batched.data.length / 2;
    expect(relativeMaxDiff(batched.data.subarray(0, half), (await runModel(single, a, [1, 3, 160, 160])).data).rel).toBeLessThan(1e-5);
    expect(relativeMaxDiff(batched.data.subarray(half), (await runModel(single, b, [1, 3, 160, 160])).data).rel).toBeLessThan(1e-5);
  });

  it('a YOLOv5 model with a dynamic batch still matches the reference output', async () => {
    const { model } = convertCheckpoint(v5, { dynamicBatch: true });
    const input = readNpyFloat32(asset('reference', 'yolov5n_check_in.npy'));
    const expected = readNpyFloat32(asset('reference', 'yolov5n_check_out.npy'));
    const out = await runModel(model, input.data, input.shape);
    expect(relativeMaxDiff(out.data, expected.data).rel).toBeLessThan(1e-3);
  });
});
