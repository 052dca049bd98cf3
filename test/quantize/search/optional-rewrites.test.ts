import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../../src/onnx/builder.js';
import { loadModel, saveModel } from '../../../src/onnx/model-io.js';
import { makeTensor } from '../../../src/onnx/tensor.js';
import { DataType, type LoadedModel } from '../../../src/onnx/types.js';
import { calibrationSource } from '../../../src/pipeline/calibration.js';
import { quantizeWithRecipe } from '../../../src/quantize/recipe.js';
import { searchQuantization, type LatencyFigures, type SearchMeasurements } from '../../../src/quantize/search/search.js';
import { seededRandom } from '../../../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeopt-search-rewrites-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** YOLOv5's stem in miniature: a 6×6/2 conv on the 3-channel image (what stem-space-to-depth rewrites), then a 3×3 conv. */
async function stemModel(): Promise<string> {
  const random = seededRandom(5);
  const weights = (n: number) => Float32Array.from({ length: n }, () => random() - 0.5);
  const graph = makeGraph({
    node: [
      makeNode('Conv', ['x', 'w1'], ['h'], { kernel_shape: [6, 6], strides: [2, 2], pads: [2, 2, 2, 2] }, { name: 'stem' }),
      makeNode('Relu', ['h'], ['r'], {}, { name: 'act' }),
      makeNode('Conv', ['r', 'w2'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'next' }),
    ],
    initializer: [makeTensor('w1', weights(8 * 3 * 36), [8, 3, 6, 6]), makeTensor('w2', weights(8 * 8 * 9), [8, 8, 3, 3])],
    input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 32, 32])],
    output: [makeValueInfo('y', DataType.FLOAT, [1, 8, 16, 16])],
  });
  const path = join(dir, 'stem.onnx');
  await saveModel(makeModel(graph, { opset: 17 }), path);
  return path;
}

const hasSpaceToDepth = (m: LoadedModel) => m.graph.node.some((n) => n.opType === 'SpaceToDepth');

/**
 * The device's answers fixed through the measurement seam (the quantizer, its calibration and the rewrite are the
 * real ones): in the profiles the int8 stem costs more than the float one, as a 3-channel 6×6 int8 conv does on
 * this CPU, so the latency model keeps the stem float; the verification benchmark then says how fast the model with
 * the SpaceToDepth stem runs, which is what decides.
 */
function measurements(spaceToDepthMs: number): SearchMeasurements {
  const quantized = (m: LoadedModel, node: { input: string[] }) => m.graph.node.some((n) => n.opType === 'DequantizeLinear' && n.output[0] === node.input[0]);
  return {
    async profile(m) {
      return m.graph.node
        .filter((n) => n.opType === 'Conv' || n.opType === 'Relu')
        .map((n) => ({ name: n.name ?? '', opType: n.opType ?? '', ms: n.name === 'stem' ? (quantized(m, n) ? 9 : 3) : quantized(m, n) ? 1 : 4 }));
    },
    async benchmark(candidates) {
      const figures = (p50Ms: number): LatencyFigures => ({ p50Ms });
      return { fp32: figures(10), candidates: candidates.map((c) => figures(hasSpaceToDepth(c.model) ? spaceToDepthMs : 7)) };
    },
    async fidelity() {
      return { score: 40, sqnrDb: 40, channelSqnrDb: 40 };
    },
  };
}

describe('the INT8 search and the optional rewrites', () => {
  it('tries the SpaceToDepth stem with the stem in int8, keeps it where it measures faster, and its recipe rebuilds it', async () => {
    const path = await stemModel();
    const model = await loadModel(path);
    const calibration = () => calibrationSource(undefined, true, 4, path)!.source;
    const faster = await searchQuantization(model, { name: 'stem', calibration: calibration(), measure: measurements(5) });
    expect(faster.verdict).toBe('found');
    expect(faster.chosen!.label).toMatch(/\+ stem-space-to-depth$/);
    expect(faster.chosen!.predictedMs).toBeUndefined();
    expect(faster.recipe!.rewrites).toContain('stem-space-to-depth');
    const written = faster.model!;
    expect(hasSpaceToDepth(written)).toBe(true);
    // The stem conv reads a DequantizeLinear: it runs int8 (the 3×3 form), where the latency model had kept it float.
    const stem = written.graph.node.find((n) => n.name === 'stem')!;
    expect(written.graph.node.some((n) => n.opType === 'DequantizeLinear' && n.output[0] === stem.input[0])).toBe(true);
    expect(faster.recipe!.float.some((f) => f.node === 'stem')).toBe(false);
    expect(faster.trace.some((t) => t.phase === 'candidate' && /stem-space-to-depth/.test(t.label) && /rewrote stem/.test(t.note ?? ''))).toBe(true);

    const rebuilt = await quantizeWithRecipe(model, faster.recipe!, { calibration: calibration() });
    expect(rebuilt.model.graph.node.map((n) => `${n.opType} ${n.name}`)).toEqual(written.graph.node.map((n) => `${n.opType} ${n.name}`));

    // Slower than the configuration without it: verified, and not chosen.
    const slower = await searchQuantization(model, { name: 'stem', calibration: calibration(), measure: measurements(8) });
    expect(slower.verdict).toBe('found');
    expect(slower.trace.some((t) => t.phase === 'verify' && /\+ stem-space-to-depth$/.test(t.label) && t.measuredMs === 8)).toBe(true);
    expect(slower.recipe!.rewrites).not.toContain('stem-space-to-depth');
    expect(hasSpaceToDepth(slower.model!)).toBe(false);
  }, 120_000);
});
