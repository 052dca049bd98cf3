import { describe, expect, it } from 'vitest';
import { float, makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { encodeModel, loadModelSync } from '../../src/onnx/model-io.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { DataType, type LoadedModel } from '../../src/onnx/types.js';
import { quantizeDynamic } from '../../src/quantize/index.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { float32Tensor, runModel } from '../helpers/run-model.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import type { PlainTensor } from '../../src/runtime/runtime.js';

function opCounts(model: LoadedModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph.node) counts[n.opType!] = (counts[n.opType!] ?? 0) + 1;
  return counts;
}

async function run(model: LoadedModel | string, feeds: Record<string, PlainTensor>): Promise<Record<string, Float32Array>> {
  const out = await runModel(model, feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

function maxAbsDiff(a: Float32Array, b: Float32Array, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Deterministic pseudo-random floats in [-1, 1). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}

/** x[2,8] → MatMul(W[8,6]) → Gemm(B[4,6], transB=1, C[4]) → y[2,4]; plus a second MatMul sharing x. */
function matmulGemmModel(): LoadedModel {
  return makeModel(
    makeGraph({
      node: [
        makeNode('MatMul', ['x', 'W'], ['h'], {}, { name: 'mm' }),
        makeNode('Gemm', ['h', 'B', 'C'], ['y'], { transB: 1, alpha: float(1), beta: float(1) }, { name: 'gemm' }),
        makeNode('MatMul', ['x', 'W2'], ['z'], {}, { name: 'mm2' }),
      ],
      initializer: [makeTensor('W', seeded(48, 1), [8, 6]), makeTensor('B', seeded(24, 2), [4, 6]), makeTensor('C', seeded(4, 3), [4]), makeTensor('W2', seeded(16, 4), [8, 2])],
      input: [makeValueInfo('x', DataType.FLOAT, [2, 8])],
      output: [makeValueInfo('y', DataType.FLOAT, [2, 4]), makeValueInfo('z', DataType.FLOAT, [2, 2])],
    }),
    { opset: 17 },
  );
}

describe('quantizeDynamic on small built models', () => {
  const feeds = { x: float32Tensor(seeded(16, 9), [2, 8]) };

  for (const [weightType, perChannel] of [['uint8', false], ['int8', false], ['uint8', true], ['int8', true]] as const) {
    it(`MatMul and Gemm become MatMulInteger and stay close to float (${weightType}, ${perChannel ? 'per-channel' : 'per-tensor'})`, async () => {
      const model = matmulGemmModel();
      const { model: q, report } = quantizeDynamic(model, { weightType, perChannel });
      expect(report.quantized).toEqual({ MatMul: 2, Gemm: 1 });
      const ops = opCounts(q);
      expect(ops.MatMulInteger).toBe(3);
      expect(ops.MatMul ?? 0).toBe(0);
      expect(ops.Gemm ?? 0).toBe(0);
      // x feeds two MatMuls but is quantized once; h (the Gemm input) once more.
      expect(ops.DynamicQuantizeLinear).toBe(2);
      const float = await run(model, feeds);
      const quant = await run(q, feeds);
      for (const name of ['y', 'z']) {
        const scale = Math.max(...Array.from(float[name]!, Math.abs));
        expect(maxAbsDiff(float[name]!, quant[name]!)).toBeLessThan(0.03 * scale + 1e-3);
      }
    });
  }

  it('does not modify the input model and honours exclude / opTypes', () => {
    const model = matmulGemmModel();
    const before = encodeModel(model);
    const { model: q, report } = quantizeDynamic(model, { exclude: ['mm2', 'NoSuchNode'], opTypes: ['MatMul'] });
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(before))).toBe(true);
    expect(report.quantized).toEqual({ MatMul: 1 });
    expect(report.skipped).toEqual([{ node: 'mm2', opType: 'MatMul', reason: 'excluded (mm2)' }]);
    expect(report.unmatchedExcludes).toEqual(['NoSuchNode']);
    expect(opCounts(q).Gemm).toBe(1);
    // The float weight of the excluded MatMul stays; the quantized one's float copy is gone.
    const names = q.graph.initializer.map((t) => t.name);
    expect(names).toContain('W2');
    expect(names).not.toContain('W');
    expect(names).toContain('W_quantized');
  });

  it('skips nodes whose weight is not a constant, with the reason', () => {
    const model = makeModel(
      makeGraph({
        node: [makeNode('MatMul', ['x', 'w'], ['y'], {}, { name: 'dyn' })],
        input: [makeValueInfo('x', DataType.FLOAT, [2, 3]), makeValueInfo('w', DataType.FLOAT, [3, 2])],
        output: [makeValueInfo('y', DataType.FLOAT, [2, 2])],
      }),
    );
    const { report } = quantizeDynamic(model);
    expect(report.quantizedNodes).toBe(0);
    expect(report.skipped[0]).toMatchObject({ node: 'dyn', reason: expect.stringContaining('not a constant initializer') });
  });

  it('rejects opsets without DynamicQuantizeLinear and unknown weight types', () => {
    const model = matmulGemmModel();
    model.opsetImport[0]!.version = 10;
    expect(() => quantizeDynamic(model)).toThrow(/opset 10.*opset 11/);
    expect(() => quantizeDynamic(matmulGemmModel(), { weightType: 'int4' as never })).toThrow(/unknown weight type 'int4'/);
  });
});

describe.skipIf(!hasAssets)('quantizeDynamic on YOLOv5nu against onnxruntime’s published INT8 model', () => {
  const fp32 = loadModelSync(asset('models', 'yolov5nu_fp32.onnx'));
  const published = asset('models', 'yolov5nu_int8_dynamic_published.onnx');
  const inputs = ['yolov5n_check_in', 'bus_letterbox640', 'zidane_letterbox640'];
  const feedsFor = (name: string) => {
    const x = readNpyFloat32(asset('reference', `${name}.npy`));
    return { images: float32Tensor(x.data, x.shape) };
  };

  it('gives the published census, size and class scores', async () => {
    const start = performance.now();
    const { model, report } = quantizeDynamic(fp32);
    const ms = performance.now() - start;
    process.stderr.write(`quantizeDynamic(yolov5nu): ${ms.toFixed(0)} ms\n`);
    const ops = opCounts(model);
    expect(ops).toMatchObject({ ConvInteger: 76, DynamicQuantizeLinear: 63, Cast: 76, Mul: 222, Add: 84, Reshape: 80 });
    expect(ops.Conv ?? 0).toBe(0);
    expect(model.graph.node.length).toBe(703);
    expect(report).toMatchObject({ quantized: { Conv: 76 }, skipped: [], nodesBefore: 262, nodesAfter: 703 });
    const bytes = encodeModel(model).byteLength;
    expect(Math.abs(bytes - 3_011_061) / 3_011_061).toBeLessThan(0.05);

    const ours = await ortNodeRuntime.open(encodeModel(model));
    const theirs = await ortNodeRuntime.open(published);
    for (const name of inputs) {
      const feeds = feedsFor(name);
      const a = (await ours.run(feeds)).output0!;
      const b = (await theirs.run(feeds)).output0!;
      expect(a.dims).toEqual([1, 84, 8400]);
      // Rows 4..83 of [1,84,8400] are the 80 class scores.
      const diff = maxAbsDiff(a.data as Float32Array, b.data as Float32Array, 4 * 8400, 84 * 8400);
      process.stderr.write(`${name}: class-score max |ours - published| = ${diff.toExponential(3)}\n`);
      expect(diff).toBeLessThan(0.01);
    }
    await ours.release();
    await theirs.release();
  });

  it("onnxruntime's scale formula verbatim (no grid snapping) differs only by one ulp in one scale", async () => {
    const { model, report } = quantizeDynamic(fp32, { snapToGrid: false });
    expect(report.weights.gridSnapped).toBe(0);
    const snapped = quantizeDynamic(fp32).model;
    const scales = (m: LoadedModel) => new Map(m.graph.initializer.filter((t) => t.name!.endsWith('_scale')).map((t) => [t.name, Buffer.from(t.rawData!).readFloatLE(0)]));
    const a = scales(model);
    const b = scales(snapped);
    const differing = [...a].filter(([name, v]) => b.get(name) !== v).map(([name]) => name);
    expect(differing).toEqual(['model.8.cv1.conv.weight_scale']);
    // Measured, not asserted tightly: dynamic activation quantization amplifies that ulp downstream.
    const feeds = feedsFor('zidane_letterbox640');
    const diff = maxAbsDiff((await run(model, feeds)).output0!, (await run(published, feeds)).output0!, 4 * 8400, 84 * 8400);
    process.stderr.write(`no grid snapping, zidane: class-score max |ours - published| = ${diff.toFixed(4)}\n`);
    expect(diff).toBeLessThan(0.3);
  });

  for (const [weightType, perChannel] of [['int8', false], ['uint8', true]] as const) {
    it(`${weightType} ${perChannel ? 'per-channel' : 'per-tensor'} weights load and run with sane scores`, async () => {
      const { model, report } = quantizeDynamic(fp32, { weightType, perChannel });
      expect(opCounts(model).ConvInteger).toBe(76);
      // int8 weights are symmetric by default (onnxruntime's WeightSymmetric); per-channel Conv is forced symmetric.
      expect(report.symmetricWeights).toBe(weightType === 'int8');
      if (perChannel) expect(report.notes.join(' ')).toMatch(/per-channel Conv weights are symmetric/);
      const out = await run(model, feedsFor('bus_letterbox640'));
      const ref = await run(fp32, feedsFor('bus_letterbox640'));
      const diff = maxAbsDiff(out.output0!, ref.output0!, 4 * 8400, 84 * 8400);
      process.stderr.write(`${weightType}${perChannel ? ' per-channel' : ''} vs FP32 on bus: class-score max diff ${diff.toFixed(3)}\n`);
      // Close to FP32 in the sense quantization allows: a person on bus.jpg still scores high.
      expect(diff).toBeLessThan(0.5);
      expect(Math.max(...out.output0!.subarray(4 * 8400, 5 * 8400))).toBeGreaterThan(0.5);
    });
  }
});
