import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../../src/onnx/builder.js';
import { loadModel, saveModel } from '../../../src/onnx/model-io.js';
import { makeTensor } from '../../../src/onnx/tensor.js';
import { DataType, type LoadedModel } from '../../../src/onnx/types.js';
import { calibrationSource } from '../../../src/pipeline/calibration.js';
import { searchQuantization, type LatencyFigures, type SearchMeasurements } from '../../../src/quantize/search/search.js';
import { seededRandom } from '../../../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeopt-search-verdict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function twoConvModel(): Promise<string> {
  const random = seededRandom(3);
  const weights = (n: number) => Float32Array.from({ length: n }, () => random() - 0.5);
  const graph = makeGraph({
    node: [
      makeNode('Conv', ['x', 'w1'], ['h'], { pads: [1, 1, 1, 1] }, { name: 'first' }),
      makeNode('Relu', ['h'], ['r'], {}, { name: 'act' }),
      makeNode('Conv', ['r', 'w2'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'second' }),
    ],
    initializer: [makeTensor('w1', weights(8 * 3 * 9), [8, 3, 3, 3]), makeTensor('w2', weights(8 * 8 * 9), [8, 8, 3, 3])],
    input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 32, 32])],
    output: [makeValueInfo('y', DataType.FLOAT, [1, 8, 32, 32])],
  });
  const path = join(dir, 'two-conv.onnx');
  await saveModel(makeModel(graph, { opset: 17 }), path);
  return path;
}

/**
 * The verdict's rules, with the device's answers fixed. The quantizer and its calibration are the real ones; the
 * measurements come through the search's measurement seam, because which way a real 2-thread run falls here is
 * exactly what a test cannot choose: int8 kernels cost 1 ms and float 4 ms in every profile, fidelity is 40 dB,
 * and the verification benchmark says what the case needs.
 */
function measurements(practical: { fp32: number; int8: number }): SearchMeasurements {
  const quantized = (m: LoadedModel, node: { input: string[] }) => m.graph.node.some((n) => n.opType === 'DequantizeLinear' && n.output[0] === node.input[0]);
  return {
    async profile(m) {
      return m.graph.node.filter((n) => n.opType === 'Conv' || n.opType === 'Relu').map((n) => ({ name: n.name ?? '', opType: n.opType ?? '', ms: quantized(m, n) ? 1 : 4 }));
    },
    async benchmark(candidates) {
      const figures = (p50Ms: number, practicalP50Ms: number): LatencyFigures => ({ p50Ms, practicalP50Ms, practicalThreads: 2 });
      return { fp32: figures(10, practical.fp32), candidates: candidates.map(() => figures(6, practical.int8)) };
    },
    async fidelity() {
      return { score: 40, sqnrDb: 40, channelSqnrDb: 40 };
    },
  };
}

describe('the INT8 search verdict', () => {
  it('writes no model that is faster at 1 thread but slower than FP32 in the practical scenario, and says so', async () => {
    const path = await twoConvModel();
    const model = await loadModel(path);
    const slower = await searchQuantization(model, { name: 'two-conv', calibration: calibrationSource(undefined, true, 4, path)!.source, measure: measurements({ fp32: 6, int8: 8 }) });
    expect(slower.verdict).toBe('none');
    expect(slower.model).toBeUndefined();
    expect(slower.reason).toMatch(/^every INT8 configuration faster than FP32 at 1 thread is slower at 2 threads \(closest: .*, 8\.0 vs FP32 6\.0 ms at 2 threads\)$/);
    expect(slower.trace.some((t) => t.phase === 'verify' && /not a candidate/.test(t.note ?? ''))).toBe(true);

    // Within 3% in the practical scenario is the same speed: the 1-thread win then decides.
    const same = await searchQuantization(model, { name: 'two-conv', calibration: calibrationSource(undefined, true, 4, path)!.source, measure: measurements({ fp32: 6, int8: 6.1 }) });
    expect(same.verdict).toBe('found');
    expect(same.chosen!.speedup).toBeCloseTo(10 / 6);
  }, 120_000);
});
