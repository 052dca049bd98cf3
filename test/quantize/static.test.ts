import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, loadModelSync, saveModel } from '../../src/onnx/model-io.js';
import { opsetVersion } from '../../src/onnx/graph.js';
import { tensorToArray, tensorToFloat32 } from '../../src/onnx/tensor.js';
import { DataType, type LoadedModel } from '../../src/onnx/types.js';
import type { CalibrationData } from '../../src/quantize/calibrate/index.js';
import { calibrateStatic, quantizeStatic, type StaticQuantizeOptions } from '../../src/quantize/static/index.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { firstOutput, float32Tensor, runModel } from '../helpers/run-model.js';

const CLASSES = 80;
const ANCHORS = 8400;

async function runBus(path: string, optimizedPath?: string): Promise<Float32Array> {
  const bus = readNpyFloat32(asset('reference', 'bus_letterbox640.npy'));
  const out = await runModel(path, { images: float32Tensor(bus.data, [1, 3, 640, 640]) }, { intraOpThreads: 2, optimizedModelFilePath: optimizedPath });
  return out.output0!.data as Float32Array;
}

function countOps(model: LoadedModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph.node) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  return counts;
}

describe.skipIf(!hasAssets)('static INT8 QDQ quantization of YOLOv5nu', () => {
  let dir: string;
  let fp32: LoadedModel;
  let data: CalibrationData;
  let reference: Float32Array;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeopt-static-'));
    fp32 = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    data = await calibrateStatic(fp32, { imageDir: asset('coco128', 'images'), limit: 16 });
    reference = await runBus(asset('models', 'yolov5nu_fp32.onnx'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('calibrates from streamed images: one statistics record per activation tensor, 16 samples', () => {
    expect(data.samples).toBe(16);
    expect(data.stats.size).toBeGreaterThan(150);
    const input = data.stats.get('images')!;
    expect(input.min).toBeGreaterThanOrEqual(0);
    expect(input.max).toBeLessThanOrEqual(1);
  });

  it('default variant runs in onnxruntime, fuses convs to QLinearConv and stays close to FP32 on bus.jpg', async () => {
    const { model, report } = await quantizeStatic(fp32, { calibrationData: data });
    const path = join(dir, 'default.onnx');
    const optimized = join(dir, 'default.opt.onnx');
    await saveModel(model, path);
    const out = await runBus(path, optimized);
    const fused = countOps(loadModelSync(optimized));
    // 76 convs: stem, 6 final head convs and the DFL conv stay float by default; every other conv must fuse.
    expect(fused.QLinearConv).toBe(68);
    expect(fused.QLinearSigmoid).toBeGreaterThan(60);
    expect(fused.QLinearMul).toBeGreaterThan(60);
    expect(fused.QLinearConcat).toBeGreaterThan(5);
    expect(report.quantized.Conv).toBe(68);
    expect(report.static.head.detected).toBe(true);
    expect(report.static.calibration).toMatchObject({ method: 'percentile', percentile: 99.999, samples: 16 });

    let maxClassDiff = 0;
    for (let i = 4 * ANCHORS; i < (4 + CLASSES) * ANCHORS; i++) maxClassDiff = Math.max(maxClassDiff, Math.abs(out[i]! - reference[i]!));
    expect(maxClassDiff).toBeLessThan(0.25);
    // Confident FP32 detections keep their class and score.
    let confident = 0;
    for (let a = 0; a < ANCHORS; a++) {
      let best = 0;
      let bestScore = 0;
      let q = 0;
      let qScore = 0;
      for (let c = 0; c < CLASSES; c++) {
        const r = reference[(4 + c) * ANCHORS + a]!;
        const v = out[(4 + c) * ANCHORS + a]!;
        if (r > bestScore) [best, bestScore] = [c, r];
        if (v > qScore) [q, qScore] = [c, v];
      }
      if (bestScore < 0.5) continue;
      confident++;
      expect(q).toBe(best);
      expect(Math.abs(qScore - bestScore)).toBeLessThan(0.15);
      for (let k = 0; k < 4; k++) expect(Math.abs(out[k * ANCHORS + a]! - reference[k * ANCHORS + a]!)).toBeLessThan(16); // pixels
    }
    expect(confident).toBeGreaterThan(10);
  });

  it('keeps the detection head (DFL, decoding, final convs) in float and reports it', async () => {
    const { model, report } = await quantizeStatic(fp32, { calibrationData: data });
    const producers = new Map(model.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
    const softmax = model.graph.node.find((n) => n.opType === 'Softmax')!;
    const dflConv = model.graph.node.find((n) => n.name === '/model.24/dfl/conv/Conv')!;
    expect(producers.get(softmax.input[0]!)?.opType).not.toBe('DequantizeLinear');
    expect(producers.get(dflConv.input[1]!)).toBeUndefined(); // float weight initializer, no DequantizeLinear
    const reasons = new Map(report.static.floatNodes.map((f) => [f.node, f.reason]));
    expect(reasons.get('/model.24/dfl/conv/Conv')).toMatch(/head/);
    expect(reasons.get('/model.24/cv3.0/cv3.0.2/Conv')).toMatch(/final conv/);
    expect(reasons.get('/model.0/conv/Conv')).toMatch(/stem/);
    expect(report.static.head.finalConvs).toHaveLength(6);
    expect(report.static.head.decode).toContain('/model.24/dfl/Softmax');
    // Graph output keeps its name and float type.
    expect(model.graph.output.map((o) => [o.name, o.type?.tensorType?.elemType])).toEqual([['output0', DataType.FLOAT]]);

    const decodeOnly = await quantizeStatic(fp32, { calibrationData: data, excludeHead: 'decode', skipStem: false });
    expect(decodeOnly.report.quantized.Conv).toBe(75); // only the DFL conv stays float
    const none = await quantizeStatic(fp32, { calibrationData: data, excludeHead: false, skipStem: false });
    expect(none.report.static.floatNodes.filter((f) => /head|stem/.test(f.reason))).toEqual([]);
  });

  it('stores int8 per-channel weights and int32 biases whose scale is exactly input scale × weight scale', async () => {
    const { model, report } = await quantizeStatic(fp32, { calibrationData: data });
    const inits = new Map(model.graph.initializer.map((t) => [t.name, t]));
    const producers = new Map(model.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
    const convs = model.graph.node.filter((n) => n.opType === 'Conv' && producers.get(n.input[1]!)?.opType === 'DequantizeLinear');
    expect(convs).toHaveLength(68);
    for (const conv of convs) {
      const wDq = producers.get(conv.input[1]!)!;
      const bDq = producers.get(conv.input[2]!)!;
      const xDq = producers.get(conv.input[0]!)!;
      expect(xDq.opType).toBe('DequantizeLinear');
      const w = inits.get(wDq.input[0])!;
      expect(w.dataType).toBe(DataType.INT8);
      expect(wDq.attribute.find((a) => a.name === 'axis')?.i).toBe(0);
      expect((tensorToArray(w) as Int8Array).reduce((m, v) => Math.min(m, v), 0)).toBeGreaterThanOrEqual(-127); // symmetric
      const wScale = tensorToFloat32(inits.get(wDq.input[1])!);
      expect(wScale).toHaveLength(w.dims[0]!);
      expect([...(tensorToArray(inits.get(wDq.input[2])!) as Int8Array)].every((z) => z === 0)).toBe(true);
      const xScale = tensorToFloat32(inits.get(xDq.input[1])!)[0]!;
      const b = inits.get(bDq.input[0])!;
      expect(b.dataType).toBe(DataType.INT32);
      const bScale = tensorToFloat32(inits.get(bDq.input[1])!);
      for (let c = 0; c < bScale.length; c++) expect(bScale[c]).toBe(Math.fround(xScale * wScale[c]!));
      expect([...(tensorToArray(inits.get(bDq.input[2])!) as Int32Array)].every((z) => z === 0)).toBe(true);
    }
    // One Q/DQ pair per activation tensor, shared by all its consumers.
    const quantizeInputs = model.graph.node.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.input[0]);
    expect(new Set(quantizeInputs).size).toBe(quantizeInputs.length);
    expect(quantizeInputs.length).toBe(report.static.qdqPairs);
    expect(opsetVersion(model)).toBe(17);
  });

  it('minmax, percentile and entropy each give valid ranges; percentile and entropy clip within min-max', async () => {
    const results = await Promise.all(
      (['minmax', 'percentile', 'entropy'] as const).map((method) => quantizeStatic(fp32, { calibrationData: data, method })),
    );
    const [minmax, percentile, entropy] = results.map((r) => r.report.static.activations);
    for (const acts of [minmax!, percentile!, entropy!]) {
      for (const a of Object.values(acts)) {
        expect(a.min).toBeLessThanOrEqual(0);
        expect(a.max).toBeGreaterThanOrEqual(0);
        expect(a.scale).toBeGreaterThan(0);
        expect(a.zeroPoint).toBeGreaterThanOrEqual(0);
        expect(a.zeroPoint).toBeLessThanOrEqual(255);
      }
    }
    let clipped = 0;
    for (const [t, m] of Object.entries(minmax!)) {
      expect(percentile![t]!.max).toBeLessThanOrEqual(m.max + 1e-6);
      expect(entropy![t]!.max).toBeLessThanOrEqual(m.max + 1e-6);
      if (percentile![t]!.max < m.max * 0.99) clipped++;
    }
    expect(clipped).toBeGreaterThan(10); // 99.999% clips real outliers somewhere
  });

  it('int8 symmetric activations (S8S8) have zero points 0 and still run', async () => {
    const { model, report } = await quantizeStatic(fp32, { calibrationData: data, activationType: 'int8', ops: 'conv' });
    expect(Object.values(report.static.activations).every((a) => a.zeroPoint === 0)).toBe(true);
    expect(Object.keys(report.quantized)).toEqual(['Conv']);
    const path = join(dir, 's8.onnx');
    await saveModel(model, path);
    const out = await runBus(path);
    expect(out.length).toBe(84 * ANCHORS);
  });

  it('rejects bad options with EdgeoptError', async () => {
    const bad: StaticQuantizeOptions[] = [
      { calibrationData: data, method: 'median' as never },
      { calibrationData: data, percentile: 10 },
      { calibrationData: data, activationType: 'int4' as never },
      { calibrationData: data, weightType: 'uint8' },
      { calibrationData: data, ops: ['Softmax'] },
      { calibrationData: data, excludeHead: 'everything' as never },
      {},
    ];
    for (const options of bad) await expect(quantizeStatic(fp32, options)).rejects.toThrow(EdgeoptError);
    await expect(quantizeStatic(fp32, { calibration: { imageDir: join(dir, 'missing') } })).rejects.toThrow(/not found/);
  });
});

describe.skipIf(!hasAssets)('static INT8 of an opset-12 YOLOv5 export', () => {
  it('upgrades to opset 13, finds the classic YOLOv5 head and runs in onnxruntime', async () => {
    const model = await loadModel(asset('reference', 'yolov5n_fp32_torch.onnx'));
    const { model: q, report } = await quantizeStatic(model, { calibration: { imageDir: asset('coco128', 'images'), limit: 4 } });
    expect(opsetVersion(q)).toBe(13);
    expect(report.notes.join(' ')).toMatch(/opset 12 → 13/);
    expect(report.static.head.finalConvs).toEqual(['/model.24/m.0/Conv', '/model.24/m.1/Conv', '/model.24/m.2/Conv']);
    const dir = mkdtempSync(join(tmpdir(), 'edgeopt-static12-'));
    try {
      const path = join(dir, 'q.onnx');
      await saveModel(q, path);
      const input = readNpyFloat32(asset('reference', 'bus_letterbox640.npy'));
      const out = await runModel(path, { images: float32Tensor(input.data, [1, 3, 640, 640]) }, { intraOpThreads: 2 });
      expect(firstOutput(out).dims).toEqual([1, 25200, 85]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
