import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/model-io.js';
import type { LoadedModel } from '../../src/onnx/types.js';
import { calibrateStatic } from '../../src/quantize/static/index.js';
import { mixedPrecisionSearch } from '../../src/quantize/mixed.js';
import type { CalibrationData } from '../../src/quantize/calibrate/index.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { readNpyFloat32 } from '../helpers/npy.js';
import { float32Tensor, runModel } from '../helpers/run-model.js';

/**
 * A stand-in accuracy metric (the real one lives in src/eval, a later stage): 100 × (1 − mean |Δ class score| × 10)
 * against FP32 on bus.jpg. It is monotone in output fidelity, which is all the search relies on.
 */
async function classScores(model: LoadedModel): Promise<Float32Array> {
  const bus = readNpyFloat32(asset('reference', 'bus_letterbox640.npy'));
  const out = await runModel(model, { images: float32Tensor(bus.data, [1, 3, 640, 640]) }, { intraOpThreads: 2 });
  return (out.output0!.data as Float32Array).subarray(4 * 8400);
}

describe.skipIf(!hasAssets)('accuracy-aware mixed precision', () => {
  let fp32: LoadedModel;
  let data: CalibrationData;
  let reference: Float32Array;
  const score = async (model: LoadedModel) => {
    const s = await classScores(model);
    let diff = 0;
    for (let i = 0; i < s.length; i++) diff += Math.abs(s[i]! - reference[i]!);
    return 100 * (1 - (diff / s.length) * 10);
  };
  beforeAll(async () => {
    fp32 = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    data = await calibrateStatic(fp32, { imageDir: asset('coco128', 'images'), limit: 8 });
    reference = await classScores(fp32);
  });

  it('ranks blocks by fidelity gain and returns the most harmful to float until the target is met', async () => {
    const calibration = { imageDir: asset('coco128', 'images'), limit: 8 };
    const quantize = { calibration, calibrationData: data, method: 'minmax' as const, skipStem: false, excludeHead: 'decode' as const };
    const full = await mixedPrecisionSearch(fp32, { quantize, evaluate: score, baselineMap: 100, maxDrop: 100, fidelityImages: 2 });
    expect(full.report.met).toBe(true);
    expect(full.report.evaluations).toBe(1); // already within target: no search
    const target = 100 - full.report.fullyQuantized.map; // the current drop…
    let latencyCalls = 0;
    const { report, quantizeReport } = await mixedPrecisionSearch(fp32, {
      quantize,
      evaluate: score,
      baselineMap: 100,
      maxDrop: target * 0.9, // …must shrink by 10%
      fidelityImages: 2,
      maxCandidates: 6,
      maxSteps: 4,
      measureLatency: async () => ++latencyCalls,
    });
    expect(report.sensitivity).toHaveLength(6);
    const gains = report.sensitivity.map((s) => s.fidelityGain);
    expect([...gains].sort((a, b) => b - a)).toEqual(gains);
    expect(report.steps.length).toBeGreaterThan(0);
    // Whether 4 steps reach the target depends on the calibration (here they do not), so the test checks what must
    // hold either way: step k returns the k most harmful blocks to float; the result is the best step that beat the
    // fully quantized model (or that model itself); `met` says exactly whether its drop is within the target.
    report.steps.forEach((step, k) => expect(step.floatBlocks).toEqual(report.sensitivity.slice(0, k + 1).map((b) => b.block)));
    const best = report.steps.reduce<(typeof report.steps)[number] | undefined>((a, s) => (s.map > (a?.map ?? report.fullyQuantized.map) ? s : a), undefined);
    expect(report.final.floatBlocks).toEqual(best?.floatBlocks ?? []);
    expect(report.final.map).toBe(best?.map ?? report.fullyQuantized.map);
    expect(report.met).toBe(report.final.drop <= target * 0.9);
    for (const block of report.final.floatBlocks) {
      expect(quantizeReport.skipped.find((s) => s.node === block)?.reason).toBe('excluded by option');
    }
    expect(report.final.map).toBeGreaterThanOrEqual(report.fullyQuantized.map);
    expect(report.latencyCostMs).toBeDefined();
  });

  it('rejects a missing evaluate callback or a negative maxDrop', async () => {
    const quantize = { calibrationData: data };
    await expect(mixedPrecisionSearch(fp32, { quantize, evaluate: undefined as never, baselineMap: 1, maxDrop: 1 })).rejects.toThrow(EdgeoptError);
    await expect(mixedPrecisionSearch(fp32, { quantize, evaluate: score, baselineMap: 1, maxDrop: -1 })).rejects.toThrow(EdgeoptError);
  });
});
