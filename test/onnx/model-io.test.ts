import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/model-io.js';
import { makeTensor, tensorToArray, tensorToFloat32 } from '../../src/onnx/tensor.js';
import { DATA_LOCATION_EXTERNAL, DataType, type LoadedModel, type TensorProto } from '../../src/onnx/types.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { float32Tensor, runModel } from '../helpers/run-model.js';
import type { PlainTensor } from '../../src/runtime/runtime.js';

const work = mkdtempSync(join(tmpdir(), 'edgeopt-model-io-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function emptyTensor(name: string, dataType: DataType, dims: number[]): TensorProto {
  return { name, dataType, dims, floatData: [], int32Data: [], int64Data: [], doubleData: [], uint64Data: [], stringData: [], externalData: [] };
}

/** A tiny Conv model whose weights are big enough to go to an external data file. */
function smallConvModel(): LoadedModel {
  const weights = Float32Array.from({ length: 8 * 3 * 3 * 3 }, (_, i) => Math.sin(i) * 0.5);
  const bias = Float32Array.from({ length: 8 }, (_, i) => i * 0.1);
  return makeModel(
    makeGraph({
      node: [makeNode('Conv', ['x', 'w', 'b'], ['y'], { pads: [1, 1, 1, 1] })],
      initializer: [makeTensor('w', weights, [8, 3, 3, 3]), makeTensor('b', bias, [8])],
      input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 8, 8])],
      output: [makeValueInfo('y', DataType.FLOAT, [1, 8, 8, 8])],
    }),
  );
}

async function runOnce(model: string | Uint8Array, feeds: Record<string, PlainTensor>): Promise<Record<string, Float32Array>> {
  const out = await runModel(model, feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

const smallInput = () => ({ x: float32Tensor(Float32Array.from({ length: 3 * 8 * 8 }, (_, i) => Math.cos(i)), [1, 3, 8, 8]) });

/** The parts of a graph that define what it computes. */
function graphSignature(model: LoadedModel) {
  return {
    nodes: model.graph.node.map((n) => ({ op: n.opType, domain: n.domain ?? '', input: n.input, output: n.output, attrs: n.attribute.map((a) => a.name) })),
    initializers: model.graph.initializer.map((t) => ({ name: t.name, dims: t.dims, dataType: t.dataType })),
    inputs: model.graph.input.map((v) => v.name),
    outputs: model.graph.output.map((v) => v.name),
  };
}

describe('round trip', () => {
  it('load → save → load keeps a built model and its outputs', async () => {
    const model = smallConvModel();
    const path = join(work, 'small.onnx');
    await saveModel(model, path);
    const reloaded = await loadModel(path);
    expect(graphSignature(reloaded)).toEqual(graphSignature(model));
    expect(Array.from(tensorToFloat32(reloaded.graph.initializer[0]!))).toEqual(Array.from(tensorToFloat32(model.graph.initializer[0]!)));
    const before = await runOnce(encodeModel(model), smallInput());
    const after = await runOnce(path, smallInput());
    expect(after.y).toEqual(before.y);
  });

  it.skipIf(!hasAssets)('yolov5nu: same graph, byte-identical re-encoding, identical onnxruntime outputs', async () => {
    const original = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    const path = join(work, 'yolov5nu_resaved.onnx');
    await saveModel(original, path);
    const reloaded = await loadModel(path);
    expect(graphSignature(reloaded)).toEqual(graphSignature(original));
    for (let i = 0; i < original.graph.initializer.length; i++) {
      const a = tensorToArray(original.graph.initializer[i]!);
      const b = tensorToArray(reloaded.graph.initializer[i]!);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    }
    // A second save of the reloaded model writes exactly the same bytes.
    expect(Buffer.from(encodeModel(reloaded)).equals(readFileSync(path))).toBe(true);

    const input = readNpyFloat32(asset('reference', 'yolov5n_check_in.npy'));
    const feeds = { images: float32Tensor(input.data, input.shape) };
    const before = await runOnce(asset('models', 'yolov5nu_fp32.onnx'), feeds);
    const after = await runOnce(path, feeds);
    expect(after.output0!.length).toBe(84 * 8400);
    expect(Buffer.from(after.output0!.buffer).equals(Buffer.from(before.output0!.buffer))).toBe(true);
  });
});

describe('external data', () => {
  it('saves large tensors to a side file, reloads them, and onnxruntime gives the same outputs', async () => {
    const model = smallConvModel();
    const path = join(work, 'ext', 'model.onnx');
    await saveModel(model, path, { externalDataFile: 'model.weights', externalThreshold: 256 });
    const onDisk = decodeModel(readFileSync(path).subarray(), { baseDir: join(work, 'ext') });
    expect(statSync(join(work, 'ext', 'model.weights')).size).toBeGreaterThanOrEqual(8 * 27 * 4);
    // The raw file itself points at the side file for the weight and keeps the small bias inline.
    const raw = readFileSync(path);
    expect(raw.includes(Buffer.from('model.weights'))).toBe(true);
    expect(raw.byteLength).toBeLessThan(8 * 27 * 4);
    const reloaded = await loadModel(path);
    expect(reloaded.graph.initializer.every((t) => t.dataLocation !== DATA_LOCATION_EXTERNAL)).toBe(true);
    expect(Array.from(tensorToFloat32(onDisk.graph.initializer[0]!))).toEqual(Array.from(tensorToFloat32(model.graph.initializer[0]!)));
    const reference = await runOnce(encodeModel(model), smallInput());
    expect((await runOnce(path, smallInput())).y).toEqual(reference.y); // onnxruntime reading the side file itself
    expect((await runOnce(encodeModel(reloaded), smallInput())).y).toEqual(reference.y);
  });

  it("rejects a tensor whose location leaves the model's directory", async () => {
    const model = smallConvModel();
    const weight = model.graph.initializer[0]!;
    model.graph.initializer[0] = {
      ...emptyTensor('w', DataType.FLOAT, weight.dims),
      dataLocation: DATA_LOCATION_EXTERNAL,
      externalData: [{ key: 'location', value: '../x' }, { key: 'offset', value: '0' }, { key: 'length', value: '864' }],
    };
    writeFileSync(join(work, 'x'), new Uint8Array(864));
    const dir = join(work, 'evil');
    await saveModel(model, join(dir, 'model.onnx'));
    await expect(loadModel(join(dir, 'model.onnx'))).rejects.toThrow(/leaves the model's directory/);
    await expect(saveModel(smallConvModel(), join(dir, 'other.onnx'), { externalDataFile: '../x' })).rejects.toThrow(EdgeoptError);
  });
});

describe('initializers as typed arrays', () => {
  const cases: Array<{ type: DataType; ctor: string; values: number[]; field: keyof TensorProto }> = [
    { type: DataType.FLOAT, ctor: 'Float32Array', values: [1.5, -2.25, 0, 0.125], field: 'floatData' },
    { type: DataType.FLOAT16, ctor: 'Uint16Array', values: [0x3c00, 0xc000, 0x0000, 0x3555], field: 'int32Data' },
    { type: DataType.INT8, ctor: 'Int8Array', values: [-128, -1, 0, 127], field: 'int32Data' },
    { type: DataType.UINT8, ctor: 'Uint8Array', values: [0, 1, 128, 255], field: 'int32Data' },
    { type: DataType.INT32, ctor: 'Int32Array', values: [-2147483648, -5, 7, 2147483647], field: 'int32Data' },
    { type: DataType.INT64, ctor: 'BigInt64Array', values: [-9007199254740991, -1, 0, 9007199254740991], field: 'int64Data' },
    { type: DataType.BOOL, ctor: 'Uint8Array', values: [1, 0, 0, 1], field: 'int32Data' },
  ];

  function roundTrip(tensors: TensorProto[]): TensorProto[] {
    const model = makeModel(makeGraph({
      node: [makeNode('Identity', ['x'], ['y'])],
      initializer: tensors,
      input: [makeValueInfo('x', DataType.FLOAT, [1])],
      output: [makeValueInfo('y', DataType.FLOAT, [1])],
    }));
    // Through a Node Buffer, as loadModel reads files.
    return decodeModel(Buffer.from(encodeModel(model))).graph.initializer;
  }

  for (const c of cases) {
    it(`${DataType[c.type]} from raw_data and from the typed field`, () => {
      const typed = c.type === DataType.INT64 ? BigInt64Array.from(c.values, BigInt) : new (globalThis as unknown as Record<string, new (v: number[]) => Uint8Array>)[c.ctor]!(c.values);
      const fromRaw = makeTensor('raw', typed, [2, 2], c.type);
      const fromField: TensorProto = { ...emptyTensor('field', c.type, [2, 2]), [c.field]: c.values };
      const [raw, field] = roundTrip([fromRaw, fromField]);
      expect(raw!.rawData!.byteLength).toBeGreaterThan(0);
      expect(field!.rawData?.byteLength ?? 0).toBe(0);
      for (const t of [raw!, field!]) {
        const array = tensorToArray(t);
        expect(array.constructor.name).toBe(c.ctor);
        expect(Array.from(array as ArrayLike<number | bigint>, Number)).toEqual(c.values);
      }
    });
  }

  it('float16 converts to float32 values', () => {
    const t = makeTensor('h', Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x7bff]), [4], DataType.FLOAT16);
    expect(Array.from(tensorToFloat32(t))).toEqual([1, -2, 0.333251953125, 65504]);
  });

  it('reads float tensors whose raw bytes sit at an unaligned offset in the file', () => {
    // Names of different lengths shift each tensor's bytes; at least one lands off a 4-byte boundary.
    const tensors = ['a', 'bb', 'ccc', 'dddd'].map((name, k) => makeTensor(name, Float32Array.from([1 + k, 2.5, -3, 1e-7]), [4]));
    const decoded = roundTrip(tensors);
    expect(decoded.some((t) => t.rawData!.byteOffset % 4 !== 0)).toBe(true);
    decoded.forEach((t, k) => expect(Array.from(tensorToArray(t) as Float32Array)).toEqual(Array.from(Float32Array.from([1 + k, 2.5, -3, 1e-7]))));
  });
});

describe.skipIf(!hasAssets)('large model decoding', () => {
  it('decodes the 10.8 MB yolov5nu model quickly and without copying weights', () => {
    const bytes = readFileSync(asset('models', 'yolov5nu_fp32.onnx'));
    decodeModel(bytes); // warm up protobufjs' generated decoder
    const start = performance.now();
    const model = decodeModel(bytes);
    const ms = performance.now() - start;
    process.stderr.write(`decoding yolov5nu_fp32.onnx (${bytes.byteLength} B) took ${ms.toFixed(1)} ms\n`);
    expect(model.graph.node.length).toBe(262);
    // Weights are views into the file's bytes, not per-element JS values.
    const weight = model.graph.initializer.find((t) => t.dims.length === 4)!;
    expect(weight.floatData.length).toBe(0);
    expect(weight.rawData!.buffer).toBe(bytes.buffer);
    expect(ms).toBeLessThan(2000);
  });
});

describe('bad input', () => {
  it.skipIf(!hasAssets)('a JPEG is not a model', async () => {
    await expect(loadModel(asset('images', 'bus.jpg'))).rejects.toThrow(EdgeoptError);
  });

  it.skipIf(!hasAssets)('a truncated model is rejected with a one-line error', async () => {
    const path = join(work, 'truncated.onnx');
    const bytes = readFileSync(asset('models', 'yolov5nu_fp32.onnx'));
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
    const err = await loadModel(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgeoptError);
    expect((err as Error).message).toMatch(/not a valid ONNX model|truncated/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('an empty file and a missing file are rejected', async () => {
    const path = join(work, 'empty.onnx');
    writeFileSync(path, '');
    await expect(loadModel(path)).rejects.toThrow(/empty/);
    await expect(loadModel(join(work, 'missing.onnx'))).rejects.toThrow(/no such file/);
  });
});
