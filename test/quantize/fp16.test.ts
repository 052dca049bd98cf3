import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src/onnx/model-io.js';
import { DataType, type LoadedModel } from '../../src/onnx/types.js';
import { convertToFloat16 } from '../../src/quantize/fp16.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { float32Tensor, runModel } from '../helpers/run-model.js';

async function runBus(path: string): Promise<Float32Array> {
  const bus = readNpyFloat32(asset('reference', 'bus_letterbox640.npy'));
  const out = await runModel(path, { images: float32Tensor(bus.data, [1, 3, 640, 640]) }, { intraOpThreads: 2 });
  expect(out.output0!.type).toBe('float32');
  return out.output0!.data as Float32Array;
}

describe.skipIf(!hasAssets)('FP16 conversion of YOLOv5nu', () => {
  let dir: string;
  let fp32: LoadedModel;
  let reference: Float32Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeopt-fp16-'));
    fp32 = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    reference = await runBus(asset('models', 'yolov5nu_fp32.onnx'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores weights as float16, keeps float32 I/O behind Casts, runs and agrees with FP32', async () => {
    const { model, report } = convertToFloat16(fp32);
    expect(model.graph.input[0]!.type?.tensorType?.elemType).toBe(DataType.FLOAT);
    expect(model.graph.output[0]!.type?.tensorType?.elemType).toBe(DataType.FLOAT);
    const weights = model.graph.initializer.filter((t) => t.dims.length === 4);
    expect(weights.length).toBeGreaterThan(70);
    expect(weights.every((t) => t.dataType === DataType.FLOAT16)).toBe(true);
    // Only Resize's scales stay float32 (the spec requires it).
    const float32 = new Set(model.graph.initializer.filter((t) => t.dataType === DataType.FLOAT).map((t) => t.name));
    const readers = model.graph.node.filter((n) => n.input.some((i) => float32.has(i)));
    expect(readers.length).toBeGreaterThan(0);
    for (const n of readers) {
      expect(n.opType).toBe('Resize');
      expect(float32.has(n.input[0])).toBe(false);
    }
    expect(report.weights.float16Bytes * 2).toBe(report.weights.floatBytes);
    expect(report.castsInserted).toBeGreaterThanOrEqual(2); // input and output
    const path = join(dir, 'fp16.onnx');
    const bytes = await saveModel(model, path);
    expect(bytes).toBeLessThan(6_500_000); // ~half of the 10.8 MB float32 model
    const out = await runBus(path);
    let classDiff = 0;
    for (let i = 4 * 8400; i < 84 * 8400; i++) classDiff = Math.max(classDiff, Math.abs(out[i]! - reference[i]!));
    expect(classDiff).toBeLessThan(1e-2);
    let boxDiff = 0;
    for (let i = 0; i < 4 * 8400; i++) boxDiff = Math.max(boxDiff, Math.abs(out[i]! - reference[i]!));
    expect(boxDiff).toBeLessThan(4); // pixels: coordinates reach 640, where float16 steps by 0.5
  });

  it('keeps blocked op types in float32 with Casts around them', async () => {
    const { model, report } = convertToFloat16(fp32, { blockList: ['Softmax'] });
    expect(report.float32Nodes.map((n) => n.opType)).toEqual(['Softmax']);
    const producers = new Map(model.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
    const softmax = model.graph.node.find((n) => n.opType === 'Softmax')!;
    const cast = producers.get(softmax.input[0]!)!;
    expect(cast.opType).toBe('Cast');
    expect(cast.attribute.find((a) => a.name === 'to')?.i).toBe(DataType.FLOAT);
    const path = join(dir, 'fp16-blocked.onnx');
    await saveModel(model, path);
    const out = await runBus(path);
    let classDiff = 0;
    for (let i = 4 * 8400; i < 84 * 8400; i++) classDiff = Math.max(classDiff, Math.abs(out[i]! - reference[i]!));
    expect(classDiff).toBeLessThan(1e-2);
  });

  it('without keepIoTypes the graph input and output become float16', () => {
    const { model } = convertToFloat16(fp32, { keepIoTypes: false });
    expect(model.graph.input[0]!.type?.tensorType?.elemType).toBe(DataType.FLOAT16);
    expect(model.graph.output[0]!.type?.tensorType?.elemType).toBe(DataType.FLOAT16);
  });

  it('rejects bad options and already-fp16 models', () => {
    expect(() => convertToFloat16(fp32, { keepIoTypes: 'yes' as never })).toThrow(EdgeoptError);
    expect(() => convertToFloat16(fp32, { blockList: [''] })).toThrow(EdgeoptError);
    const { model } = convertToFloat16(fp32);
    expect(() => convertToFloat16(model)).toThrow(/float16/);
  });
});
