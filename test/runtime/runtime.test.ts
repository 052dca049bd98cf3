import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel, loadModel } from '../../src/onnx/model-io.js';
import { convertToFloat16 } from '../../src/quantize/fp16.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import { createOrtWebRuntime, webSessionOptions } from '../../src/runtime/ort-web.js';
import type { PlainTensor, Runtime } from '../../src/runtime/runtime.js';
import { floatData } from '../../src/runtime/tensors.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { float32ToFloat16Bits } from '../../src/util/float16.js';
import { tempDir, writeTinyModel } from '../bench/tiny-model.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { float32Tensor } from '../helpers/run-model.js';

// onnxruntime-web runs in Node too (wasm backend), so both implementations are tested here on the same models.
const webRuntime = createOrtWebRuntime(ortWeb);
const runtimes: Array<[string, Runtime, string]> = [
  ['onnxruntime-node', ortNodeRuntime, 'cpu'],
  ['onnxruntime-web', webRuntime, 'wasm'],
];

const dir = tempDir('edgeopt-runtime-test-');
let tiny: string;
const input = float32Tensor(Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i) * 0.5 + 0.5), [2, 3, 32, 32]);

beforeAll(async () => {
  tiny = await writeTinyModel(dir.path);
});
afterAll(() => dir.remove());

async function runModelOn(runtime: Runtime, model: string): Promise<Record<string, PlainTensor>> {
  const session = await runtime.open(model, { intraOpThreads: 1 });
  try {
    return await session.run({ x: input });
  } finally {
    await session.release();
  }
}

describe.each(runtimes)('%s', (name, runtime, provider) => {
  it('reports input and output metadata with symbolic dims, and returns outputs as plain typed tensors', async () => {
    const session = await runtime.open(tiny, { intraOpThreads: 1 });
    try {
      expect(runtime.name).toBe(name);
      expect(runtime.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(session.provider).toBe(provider);
      expect(session.failedProviders).toEqual([]);
      expect(session.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 3, 32, 32] }]);
      expect(session.outputs).toEqual([{ name: 'y', type: 'float32', shape: ['batch', 8, 32, 32] }]);
      const out = await session.run({ x: input });
      expect(Object.keys(out)).toEqual(['y']);
      expect(out.y!.type).toBe('float32');
      expect(out.y!.dims).toEqual([2, 8, 32, 32]);
      expect(out.y!.data).toBeInstanceOf(Float32Array);
      // The prepared path gives the same result, and runPrepared runs it without returning anything.
      const feeds = session.prepareFeeds({ x: input });
      expect(feeds.names).toEqual(['x']);
      expect(await session.runPrepared(feeds)).toBeUndefined();
      expect((await session.run(feeds)).y!.data).toEqual(out.y!.data);
    } finally {
      await session.release();
    }
  });

  it('rejects bad feeds with one line naming the model, and feeds prepared by another session', async () => {
    const [a, b] = [await runtime.open(tiny), await runtime.open(tiny)];
    try {
      const wrong = float32Tensor(new Float32Array(3 * 8), [1, 3, 8]); // rank 3 for a rank-4 input
      const error = await a.run({ x: wrong }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EdgeoptError);
      expect((error as Error).message).toMatch(new RegExp(`^onnxruntime failed to run ${tiny}: .+`));
      expect((error as Error).message).not.toContain('\n');
      await expect(a.runPrepared(b.prepareFeeds({ x: input }))).rejects.toThrow(/prepared by another session/);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it('falls back explicitly to the next provider and records the one that failed', async () => {
    const session = await runtime.open(tiny, { providers: ['no-such-provider', provider] });
    try {
      expect(session.provider).toBe(provider);
      expect(session.failedProviders).toHaveLength(1);
      expect(session.failedProviders[0]).toMatchObject({ provider: 'no-such-provider', reason: expect.any(String) });
    } finally {
      await session.release();
    }
    await expect(runtime.open(tiny, { providers: ['no-such-provider'] })).rejects.toThrow(/could not load .*tiny\.onnx \(no-such-provider: /);
  });

  it('keeps float16 outputs as float16 bits, which floatData widens', async () => {
    const { model } = convertToFloat16(await loadModel(tiny), { keepIoTypes: false });
    const session = await runtime.open(encodeModel(model));
    try {
      expect(session.inputs[0]!.type).toBe('float16');
      const x = input.data as Float32Array;
      const half: PlainTensor = { type: 'float16', dims: input.dims, data: Uint16Array.from(x, float32ToFloat16Bits) };
      const out = (await session.run({ x: half })).y!;
      expect(out.type).toBe('float16');
      expect(out.data).toBeInstanceOf(Uint16Array);
      const reference = (await runModelOn(runtime, tiny)).y!.data as Float32Array;
      const widened = floatData(out);
      let maxDiff = 0;
      for (let i = 0; i < widened.length; i++) maxDiff = Math.max(maxDiff, Math.abs(widened[i]! - reference[i]!));
      expect(maxDiff).toBeLessThan(0.02);
    } finally {
      await session.release();
    }
  });
});

describe('one interface, two engines', () => {
  it('gives the same outputs from onnxruntime-node and onnxruntime-web', async () => {
    const results = await Promise.all(runtimes.map(async ([, runtime]) => (await runModelOn(runtime, tiny)).y!.data as Float32Array));
    let maxDiff = 0;
    for (let i = 0; i < results[0]!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(results[0]![i]! - results[1]![i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('drops the options onnxruntime-web cannot honour instead of passing them on', () => {
    const options = webSessionOptions({ intraOpThreads: 2, interOpThreads: 1, profileFilePrefix: '/tmp/p', optimizedModelFilePath: '/tmp/o.onnx', allowSpinning: false, enableMemPattern: false }, 'wasm');
    expect(options).toEqual({ executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3, enableMemPattern: false });
  });

  it.skipIf(!hasAssets)('runs a zoo model with two inputs, an unnamed dynamic dim and an int32 output on both', async () => {
    const model = asset('zoo', 'picodet_xs_nms_320.onnx');
    const feeds = {
      image: float32Tensor(new Float32Array(3 * 320 * 320).fill(0.5), [1, 3, 320, 320]),
      scale_factor: float32Tensor(new Float32Array([1, 1]), [1, 2]),
    };
    const counts: number[] = [];
    for (const [, runtime] of runtimes) {
      const session = await runtime.open(model);
      try {
        expect(session.inputs.map((i) => i.shape)).toEqual([['?', 3, 320, 320], [1, 2]]);
        expect(session.outputs.map((o) => o.type)).toEqual(['float32', 'int32']);
        const [boxes, count] = session.outputs.map((o) => o.name) as [string, string];
        const out = await session.run(feeds, [count]);
        expect(Object.keys(out)).toEqual([count]); // only the fetched output
        expect(out[count]!.data).toBeInstanceOf(Int32Array);
        counts.push(Number(out[count]!.data[0]));
        expect((await session.run(feeds))[boxes]!.dims[1]).toBe(6);
      } finally {
        await session.release();
      }
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBe(counts[0]);
  });
});
