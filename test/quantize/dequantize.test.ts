import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeQuantization } from '../../src/analyze/quantized.js';
import { loadModel, loadModelSync, saveModel } from '../../src/onnx/model-io.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import type { LoadedModel } from '../../src/onnx/types.js';
import { augmentWithOutputs } from '../../src/quantize/calibrate/index.js';
import { dequantizeModel } from '../../src/quantize/dequantize/index.js';
import { quantizeStatic } from '../../src/quantize/static/index.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import { hasZoo, zooModel } from '../helpers/zoo.js';
import { comparedTensors, fidelity, runFeeds, zooFeeds } from '../helpers/zoo-feeds.js';

/** `--mode dequantize`: the float model inside dynamic, QDQ and QOperator models, checked against real FP32 models. */

function opCounts(model: LoadedModel): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph.node) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  return counts;
}

describe.skipIf(!hasAssets)('dequantize the published dynamic YOLOv5nu', () => {
  it('gives back yolov5nu_fp32.onnx: the same graph and bit-identical weights (PROVENANCE says it was built this way)', async () => {
    const published = loadModelSync(asset('models', 'yolov5nu_int8_dynamic_published.onnx'));
    const fp32 = loadModelSync(asset('models', 'yolov5nu_fp32.onnx'));
    const { model, report } = dequantizeModel(published);
    expect(report.quantized['ConvInteger → Conv']).toBe(76);
    expect(report.skipped).toEqual([]);
    expect(describeQuantization(model.graph).schemes).toEqual([]);
    expect(model.graph.node.map((n) => n.opType)).toEqual(fp32.graph.node.map((n) => n.opType));
    const reference = new Map(fp32.graph.initializer.map((t) => [t.name, t]));
    expect(model.graph.initializer.map((t) => t.name).sort()).toEqual([...reference.keys()].sort());
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const t of model.graph.initializer) expect(bytes(tensorToFloat32(t)).equals(bytes(tensorToFloat32(reference.get(t.name)!))), t.name).toBe(true);
  });
});

describe.skipIf(!hasZoo)('dequantize yolov10n_int8_640 (dynamic INT8, signed int8 weights)', () => {
  let dir: string;
  let int8: LoadedModel;
  let fp32: LoadedModel;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeopt-dequantize-'));
    int8 = await loadModel(zooModel('yolov10n_int8_640'));
    fp32 = dequantizeModel(int8).model;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rebuilds all 83 convs, finds the same objects on bus.jpg, and re-quantizes statically', async () => {
    const counts = opCounts(fp32);
    expect(counts.Conv).toBe(83);
    expect(counts.ConvInteger ?? 0).toBe(0);
    expect(counts.DynamicQuantizeLinear ?? 0).toBe(0);
    const bus = await zooFeeds('yolov10n_int8_640', int8).build(asset('images', 'bus.jpg'));
    // The scores the top-300 selection chooses from, and the final detections (x1,y1,x2,y2,score,class).
    const tensors = comparedTensors(int8);
    const [a, b] = [await runFeeds(augmentWithOutputs(int8, tensors), bus), await runFeeds(augmentWithOutputs(fp32, tensors), bus)];
    const scores = tensors.find((t) => t !== 'output0')!;
    expect(fidelity(a[scores]!.data, b[scores]!.data).cosine).toBeGreaterThan(0.995);
    const detections = (out: typeof a) => {
      const rows: Array<{ score: number; cls: number }> = [];
      for (let r = 0; r < 300; r++) if (out.output0!.data[r * 6 + 4]! >= 0.25) rows.push({ score: out.output0!.data[r * 6 + 4]!, cls: out.output0!.data[r * 6 + 5]! });
      return rows;
    };
    const [original, rebuilt] = [detections(a), detections(b)];
    // zoo README: bus 0.947, person 0.913 / 0.908 / 0.861 / 0.385.
    expect(original.map((d) => d.cls).sort()).toEqual([0, 0, 0, 0, 5]);
    expect(rebuilt.filter((d) => d.score > 0.5).map((d) => d.cls).sort()).toEqual([0, 0, 0, 5]);
    const calibrated = await quantizeStatic(fp32, { calibration: { imageDir: asset('coco128', 'images'), limit: 4, feeds: zooFeeds('yolov10n_int8_640', fp32) } });
    expect(calibrated.report.quantized.Conv).toBeGreaterThan(60);
    const requantized = await runFeeds(calibrated.model, bus);
    expect(requantized.output0!.data.every(Number.isFinite)).toBe(true);
  }, 180_000);

  it('CLI: quantize refuses the INT8 model with the command to run; that command and a static quantization then work', async () => {
    const refused = await runCli(['quantize', zooModel('yolov10n_int8_640'), '-o', join(dir, 'static.onnx'), '--mode', 'static', '--calib', asset('coco128', 'images')]);
    expect(refused.status).toBe(1);
    const line = refused.stderr.trim().split('\n').pop()!;
    expect(line).toMatch(/^edgeopt: error: model is already quantized \(dynamic INT8: 83 ConvInteger, int8 weights, 78 DynamicQuantizeLinear\)/);
    const suggested = /edgeopt (quantize .* --mode dequantize)$/.exec(line)![1]!.split(' ');
    const rebuilt = await runCli(suggested);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/ConvInteger → Conv 83/);
    const fp32Path = suggested[suggested.indexOf('-o') + 1]!;
    const requantized = await runCli(['quantize', fp32Path, '-o', join(dir, 'static.onnx'), '--mode', 'static', '--calib', asset('coco128', 'images'), '--calib-limit', '2', '--json']);
    expect(requantized.status, requantized.stderr).toBe(0);
    expect(JSON.parse(requantized.stdout).report.quantized.Conv).toBeGreaterThan(60);
  }, 180_000);
});

describe.skipIf(!hasZoo)('dequantize QDQ and QOperator models made from a zoo model', () => {
  let dir: string;
  let fp32: LoadedModel;
  let qdq: LoadedModel;
  let bus: Awaited<ReturnType<ReturnType<typeof zooFeeds>['build']>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgeopt-dequantize-'));
    fp32 = await loadModel(zooModel('yolov5lite_e_320'));
    const feeds = zooFeeds('yolov5lite_e_320', fp32);
    qdq = (await quantizeStatic(fp32, { calibration: { imageDir: asset('coco128', 'images'), limit: 4, feeds } })).model;
    bus = await feeds.build(asset('images', 'bus.jpg'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function expectCloseToFloat(model: LoadedModel): Promise<void> {
    expect(describeQuantization(model.graph).description).toBe('not quantized');
    const [a, b] = [await runFeeds(fp32, bus), await runFeeds(model, bus)];
    // Only the weights' 8-bit rounding is left (activations are float again): closer to FP32 than the INT8 model.
    expect(fidelity(a.output!.data, b.output!.data).cosine).toBeGreaterThan(0.999);
  }

  it('QDQ: weight DequantizeLinear become float initializers, activation pairs go', async () => {
    const { model, report } = dequantizeModel(qdq);
    expect(report.quantized['QuantizeLinear → DequantizeLinear pair removed']).toBeGreaterThan(50);
    expect(opCounts(model).Conv).toBe(opCounts(fp32).Conv);
    await expectCloseToFloat(model);
  });

  it('QOperator (the graph onnxruntime runs: QLinearConv, com.microsoft QLinearConcat …): back to float ops', async () => {
    const qdqPath = join(dir, 'qdq.onnx');
    const qopPath = join(dir, 'qop.onnx');
    await saveModel(qdq, qdqPath);
    const session = await ortNodeRuntime.open(qdqPath, { graphOptimizationLevel: 'extended', optimizedModelFilePath: qopPath });
    await session.release();
    const qop = await loadModel(qopPath);
    expect(describeQuantization(qop.graph).schemes).toContain('qoperator');
    const { model, report } = dequantizeModel(qop);
    expect(report.quantized['QLinearConv → Conv']).toBeGreaterThan(50);
    expect(report.skipped).toEqual([]);
    await expectCloseToFloat(model);
  });

  it('refuses a float model with one line', () => {
    expect(() => dequantizeModel(fp32)).toThrow(EdgeoptError);
    expect(() => dequantizeModel(fp32)).toThrow(/not quantized/);
  });
});
