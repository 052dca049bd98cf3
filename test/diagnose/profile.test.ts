import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareProfiles, findings, profileModel } from '../../src/diagnose/index.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { tempDir, writeTinyModel } from '../bench/tiny-model.js';

describe('profileModel on a small model', () => {
  const dir = tempDir('edgeopt-diagnose-test-');
  let tiny = '';
  beforeAll(async () => {
    tiny = await writeTinyModel(dir.path);
  });
  afterAll(() => dir.remove());

  it('aggregates kernels per op type and captures the optimized graph', async () => {
    const p = await profileModel(tiny, { runs: 3, warmup: 1 });
    expect(p.runs).toBe(3);
    expect(p.provider).toBe('cpu');
    expect(p.opTypes.length).toBeGreaterThan(0);
    expect(p.opTypes.reduce((s, o) => s + o.share, 0)).toBeCloseTo(1, 6);
    expect(p.kernelMs).toBeLessThanOrEqual(p.runMs * 1.0001);
    expect(p.graph.nodeCount).toBe(3);
    // onnxruntime rewrites Sigmoid+Mul (SiLU) on this graph: the census must show the change.
    expect(p.graphChanges.some((c) => c.opType === 'Sigmoid' && c.after < c.before)).toBe(true);
  });

  it('rejects the sweep scenario', async () => {
    await expect(profileModel(tiny, { scenario: 'sweep' as never })).rejects.toThrow(/controlled and practical/);
  });
});

describe.skipIf(!hasAssets)('diagnosing the published dynamic INT8 YOLOv5nu against FP32', () => {
  it('attributes the time to ConvInteger and the quantization overhead ops', async () => {
    const variant = await profileModel(asset('models', 'yolov5nu_int8_dynamic_published.onnx'), { runs: 3, warmup: 1 });
    const baseline = await profileModel(asset('models', 'yolov5nu_fp32.onnx'), { runs: 3, warmup: 1 });
    const top = variant.opTypes[0]!;
    expect(top.opType).toBe('ConvInteger');
    expect(top.share).toBeGreaterThan(0.4);
    expect(top.count).toBe(76);
    expect(variant.opTypes.find((o) => o.opType === 'DynamicQuantizeLinear')?.count).toBeGreaterThan(0);
    expect(baseline.opTypes[0]!.opType).toBe('Conv');
    expect(baseline.optimizedGraph.opTypes.some((o) => o.opType === 'QuickGelu')).toBe(true);
    const comparison = compareProfiles(variant, baseline);
    expect(comparison.ops.find((o) => o.opType === 'ConvInteger')!.baselineCount).toBe(0);
    const [headline] = findings({ variant, baseline, comparison, variantLabel: 'dynamic INT8', baselineLabel: 'FP32' });
    expect(headline).toMatch(/^dynamic INT8 is [\d.]+x (slower|faster) than FP32|^dynamic INT8 is as fast as FP32/);
    expect(headline).toMatch(/76 ConvInteger kernels take [\d.]+ ms \(\d+%\) vs [\d.]+ ms for 76 Conv in FP32/);
    expect(headline).toMatch(/\d+ DynamicQuantizeLinear( \+ \d+ \w+)* add [\d.]+ ms/);
  });
});
