import { describe, expect, it } from 'vitest';
import { buildDefaultModel } from '../../src/models/defaults.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { encodeModel, loadModelSync } from '../../src/onnx/model-io.js';
import { makeInt64Tensor, makeTensor } from '../../src/onnx/tensor.js';
import { DataType, type LoadedModel } from '../../src/onnx/types.js';
import { optimizeGraph } from '../../src/optimize/index.js';
import { findDetectionHead, planStaticQuantization } from '../../src/quantize/static/index.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { firstOutput, float32Tensor, runFirstInput } from '../helpers/run-model.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import type { RuntimeSession } from '../../src/runtime/runtime.js';

async function runModel(model: LoadedModel, input: { data: Float32Array; shape: number[] }): Promise<Float32Array> {
  return (await runFirstInput(model, float32Tensor(input.data, input.shape), { intraOpThreads: 1 })).data as Float32Array;
}

function seededInput(shape: number[], seed = 7): { data: Float32Array; shape: number[] } {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 8 - 4;
  }
  return { data, shape };
}

/** Byte-level model equality (vitest's deep equality on 10 MB of tensors is slow, and its diff of a mismatch huge). */
function sameModel(a: LoadedModel, b: LoadedModel): boolean {
  return Buffer.compare(encodeModel(a), encodeModel(b)) === 0;
}

/** How many elements differ (a count, so a failure prints one number instead of a diff of 670 000 floats). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

/** These tests are about this one rewrite (the registry has others that would also match an Ultralytics head). */
const DFL_ONLY = { rewrites: ['dfl-softmax'] };

function opTypes(model: LoadedModel): string[] {
  return model.graph.node.map((n) => n.opType ?? '');
}

/** The rewritten DFL: a last-axis Softmax whose only reader is a MatMul, and no Conv left reading a Softmax. */
function expectRewrittenDfl(model: LoadedModel): void {
  const softmaxes = model.graph.node.filter((n) => n.opType === 'Softmax' && n.name?.includes('dfl'));
  expect(softmaxes).toHaveLength(1);
  const readers = model.graph.node.filter((n) => n.input.includes(softmaxes[0]!.output[0]!));
  expect(readers.map((n) => n.opType)).toEqual(['MatMul']);
  const convAfterSoftmax = model.graph.node.filter((n) => n.opType === 'Conv' && model.graph.node.some((p) => p.opType === 'Softmax' && n.input[0] === p.output[0]));
  expect(convAfterSoftmax).toHaveLength(0);
}

/**
 * A bare DFL over A anchors: [1,64,A] → Reshape [1,4,16,A] → Transpose → Softmax(1) → Conv(arange) → Reshape `finalShape`.
 * `extraReader` makes the softmax output a second graph output (then the rewrite must not touch it).
 */
function tinyDfl(options: { anchors?: number; finalShape?: number[]; extraReader?: boolean } = {}): LoadedModel {
  const a = options.anchors ?? 10;
  const nodes = [
    makeNode('Reshape', ['x', 'shape4'], ['sides']),
    makeNode('Transpose', ['sides'], ['bins'], { perm: [0, 2, 1, 3] }),
    makeNode('Softmax', ['bins'], ['probs'], { axis: 1 }),
    makeNode('Conv', ['probs', 'w'], ['expect'], { kernel_shape: [1, 1] }),
    makeNode('Reshape', ['expect', 'shape3'], ['distances']),
  ];
  const outputs = [makeValueInfo('distances', DataType.FLOAT, [1, 4, a])];
  if (options.extraReader) {
    nodes.push(makeNode('Mul', ['probs', 'two'], ['probs2']));
    outputs.push(makeValueInfo('probs2', DataType.FLOAT, [1, 16, 4, a]));
  }
  const graph = makeGraph({
    node: nodes,
    input: [makeValueInfo('x', DataType.FLOAT, [1, 64, a])],
    output: outputs,
    initializer: [
      makeInt64Tensor('shape4', [1, 4, 16, a]),
      makeInt64Tensor('shape3', options.finalShape ?? [1, 4, a]),
      makeTensor('w', Float32Array.from({ length: 16 }, (_, i) => i), [1, 16, 1, 1]),
      makeTensor('two', Float32Array.of(2), []),
    ],
  });
  return makeModel(graph, { opset: 17 });
}

describe('dfl-softmax on small graphs', () => {
  it('rewrites the bare pattern into Transpose → Softmax(-1) → MatMul with the same outputs', async () => {
    const model = tinyDfl();
    const { model: out, report } = optimizeGraph(model, DFL_ONLY);
    expect(report.applied).toEqual([{ rewrite: 'dfl-softmax', matches: 1, nodes: ['bins', 'probs', 'expect'] }]);
    expect(opTypes(out)).toEqual(['Reshape', 'Transpose', 'Softmax', 'MatMul', 'Reshape']);
    expect(out.graph.node[1]!.attribute.find((a) => a.name === 'perm')!.ints.map(Number)).toEqual([0, 1, 3, 2]);
    expect(out.graph.initializer.map((t) => t.name)).not.toContain('w');
    const input = seededInput([1, 64, 10]);
    const [before, after] = [await runModel(model, input), await runModel(out, input)];
    expect(after.length).toBe(40);
    for (let i = 0; i < before.length; i++) expect(Math.abs(after[i]! - before[i]!)).toBeLessThan(1e-5);
  });

  it('leaves the graph alone when the softmax has another reader or the final Reshape copies a dim (0)', () => {
    for (const model of [tinyDfl({ extraReader: true }), tinyDfl({ finalShape: [1, 4, 0] })]) {
      const { model: out, report } = optimizeGraph(model, DFL_ONLY);
      expect(report.applied[0]!.matches).toBe(0);
      expect(sameModel(out, model)).toBe(true);
    }
  });

  it('never modifies its input and rejects unknown rewrite names', () => {
    const model = tinyDfl();
    const snapshot = structuredClone(model);
    optimizeGraph(model);
    expect(sameModel(model, snapshot)).toBe(true);
    expect(() => optimizeGraph(model, { rewrites: ['no-such-rewrite'] })).toThrow(EdgeoptError);
    expect(() => optimizeGraph(model, { rewrites: [] })).toThrow(EdgeoptError);
  });

  it('also matches the opset-12 form (softmax already last, Transpose back before the conv) of edgeopt-built models', async () => {
    const built = buildDefaultModel('yolov5nu', { opset: 12, imgsz: 160 }).model;
    const { model: out, report } = optimizeGraph(built, DFL_ONLY);
    expect(report.applied[0]!.matches).toBe(1);
    expect(report.applied[0]!.nodes.map((n) => n.split('/').pop())).toEqual(['Transpose_1', 'Conv']);
    expect(report.nodesAfter).toBe(report.nodesBefore - 1);
    expectRewrittenDfl(out);
    const input = seededInput([1, 3, 160, 160]);
    expect(differing(await runModel(out, input), await runModel(built, input))).toBe(0);
  });
});

describe('dfl-softmax on edgeopt-built models', () => {
  it('finds the DFL once in the default yolov5nu and keeps its outputs', async () => {
    const built = buildDefaultModel('yolov5nu').model;
    const { model: out, report } = optimizeGraph(built, DFL_ONLY);
    expect(report.applied).toHaveLength(1);
    expect(report.applied[0]!.matches).toBe(1);
    expect(report.nodesAfter).toBe(report.nodesBefore);
    expectRewrittenDfl(out);
    const input = seededInput([1, 3, 640, 640]);
    const [before, after] = [await runModel(built, input), await runModel(out, input)];
    let maxDiff = 0;
    for (let i = 0; i < before.length; i++) maxDiff = Math.max(maxDiff, Math.abs(after[i]! - before[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
  });
});

describe.skipIf(!hasAssets)('dfl-softmax on exported Ultralytics models', () => {
  it('finds the DFL exactly once in yolov5nu_fp32.onnx and yolov8n_torch.onnx', () => {
    for (const [path, prefix] of [[asset('models', 'yolov5nu_fp32.onnx'), '/model.24/dfl'], [asset('ultralytics', 'yolov8n_torch.onnx'), '/model.22/dfl']] as const) {
      const { model, report } = optimizeGraph(loadModelSync(path), DFL_ONLY);
      expect(report.applied).toEqual([
        { rewrite: 'dfl-softmax', matches: 1, nodes: [`${prefix}/Transpose`, `${prefix}/Softmax`, `${prefix}/conv/Conv`] },
      ]);
      expectRewrittenDfl(model);
      expect(opTypes(model).filter((t) => t === 'Conv')).toHaveLength(opTypes(loadModelSync(path)).filter((t) => t === 'Conv').length - 1);
    }
  });

  it('gives the same detections on the reference inputs: boxes within float rounding, class scores identical', async () => {
    const original = loadModelSync(asset('models', 'yolov5nu_fp32.onnx'));
    const { model: rewritten } = optimizeGraph(original, DFL_ONLY);
    const [s0, s1] = [await ortNodeRuntime.open(encodeModel(original), { intraOpThreads: 1 }), await ortNodeRuntime.open(encodeModel(rewritten), { intraOpThreads: 1 })];
    for (const file of ['bus_letterbox640.npy', 'yolov5n_check_in.npy']) {
      const x = readNpyFloat32(asset('reference', file));
      const run = async (s: RuntimeSession) => firstOutput(await s.run({ [s.inputs[0]!.name]: float32Tensor(x.data, x.shape) }));
      const [before, after] = [await run(s0), await run(s1)];
      expect(after.dims).toEqual([1, 84, 8400]);
      const boxes = 4 * 8400;
      const a = before.data as Float32Array;
      const b = after.data as Float32Array;
      let boxDiff = 0;
      for (let i = 0; i < boxes; i++) boxDiff = Math.max(boxDiff, Math.abs(a[i]! - b[i]!));
      expect(boxDiff).toBeLessThan(1e-3);
      expect(Math.max(...a.subarray(0, boxes))).toBeGreaterThan(100); // the box rows are in pixels: a real test of rounding
      expect(differing(b.subarray(boxes), a.subarray(boxes))).toBe(0);
    }
    await s0.release();
    await s1.release();
  });

  it('is a no-op on an anchor-based YOLOv5 (no DFL): same graph, reported with 0 matches', () => {
    const model = loadModelSync(asset('reference', 'yolov5n_fp32_torch.onnx'));
    const { model: out, report } = optimizeGraph(model, DFL_ONLY);
    expect(report).toEqual({ schemaVersion: 1, applied: [{ rewrite: 'dfl-softmax', matches: 0, nodes: [] }], nodesBefore: model.graph.node.length, nodesAfter: model.graph.node.length });
    expect(sameModel(out, model)).toBe(true);
  });

  it('keeps static quantization planning intact: same head, same quantized nodes, the new DFL stays float', () => {
    const original = loadModelSync(asset('models', 'yolov5nu_fp32.onnx'));
    const { model: rewritten } = optimizeGraph(original, DFL_ONLY);
    const headBefore = findDetectionHead(original.graph)!;
    const headAfter = findDetectionHead(rewritten.graph)!;
    expect(headAfter).toBeDefined();
    expect(headAfter.finalConvs.map((n) => n.name)).toEqual(headBefore.finalConvs.map((n) => n.name));
    const decodeOps = headAfter.decode.map((n) => n.opType);
    expect(decodeOps).toContain('MatMul');
    expect(decodeOps).toContain('Softmax');
    const options = { ops: 'all' as const, exclude: [], head: 'decode' as const, skipStem: true };
    const [planBefore, planAfter] = [planStaticQuantization(original, options), planStaticQuantization(rewritten, options)];
    expect(planAfter.nodes.map((n) => n.name)).toEqual(planBefore.nodes.map((n) => n.name));
    expect(planAfter.nodes.some((n) => n.opType === 'MatMul' || n.opType === 'Softmax')).toBe(false);
  });
});
