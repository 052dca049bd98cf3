/**
 * Stage 2, build variants: FP32 plus every quantized form whose prerequisites are met — exact rewrites first
 * (variants marked fromOptimized start from that graph), one calibration pass shared by every static variant,
 * then one quantizer call per plan. A failed variant is recorded and the others are still built.
 */
import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeModel } from '../../analyze/analyze.js';
import type { MetadataStamp } from '../../onnx/builder.js';
import { loadModel } from '../../onnx/model-io.js';
import { optimizeModelFile } from '../../optimize/file.js';
import type { CalibrationData } from '../../quantize/calibrate/index.js';
import { quantizeModelFile } from '../../quantize/file.js';
import { calibrateStatic } from '../../quantize/static/index.js';
import type { VariantAnalysis, VariantResult } from '../../results/schema.js';
import type { Progress } from '../../util/progress.js';
import type { RunState } from '../state.js';
import { searchVariant } from '../search-variant.js';
import { plannedVariants, VARIANT_PLANS, type VariantPlan } from '../variants.js';

export async function buildVariants(state: RunState): Promise<void> {
  const { settings, results, progress, fp32Path, calibration, stamp } = state;
  const { outDir } = settings;
  const skipped = results.settings.skipped;
  state.stepLine('building variants');
  const plans = plannedVariants(settings.variants).filter((p) => !(p.needsCalibration && !calibration));
  // When no exact rewrite matches (e.g. an anchor-based YOLOv5 has no DFL) the fromOptimized variants start from the original.
  const optimizedPath = join(outDir, VARIANT_PLANS.find((p) => p.name === 'fp32-optimized')!.file);
  let optimizedApplies = false;
  if (plans.some((p) => p.fromOptimized)) {
    const { report } = await optimizeModelFile(fp32Path, optimizedPath, { stamp });
    const applied = report.applied.filter((a) => a.matches > 0);
    optimizedApplies = applied.length > 0;
    if (optimizedApplies) progress.step(`  exact rewrites: ${applied.map((a) => `${a.rewrite} ×${a.matches}`).join(', ')}`);
    else {
      skipped.push('fp32-optimized (no exact rewrite applies to this graph)');
      await rm(optimizedPath, { force: true });
    }
  }
  const sourceOf = (plan: VariantPlan) => (plan.fromOptimized && optimizedApplies ? optimizedPath : fp32Path);
  let calibrationData: CalibrationData | undefined;
  if (calibration && plans.some((p) => p.needsCalibration && !p.search)) {
    // One calibration pass serves every static preset (each picks its method and tensors from it); the search calibrates its own candidates.
    const calibrated = plans.find((p) => p.needsCalibration && !p.search)!;
    try {
      calibrationData = await calibrateStatic(await loadModel(sourceOf(calibrated)), calibration.source, { progress });
      if (calibrationData.dataQuality) (results.dataQuality ??= {}).calibration = calibrationData.dataQuality;
    } catch (err) {
      state.fail('calibrate', err);
    }
  }
  for (const plan of plans) {
    state.checkAbort();
    if (plan.search) {
      await buildSearchVariant(state, plan);
      continue;
    }
    if (plan.needsCalibration && !calibrationData) continue;
    if (plan.name === 'fp32-optimized' && !optimizedApplies) continue;
    const variant = await buildVariant(plan, sourceOf(plan), outDir, calibrationData, progress, stamp).catch((err) => {
      const failed = emptyVariant(plan);
      state.fail('build', err, failed);
      return failed;
    });
    results.variants.push(variant);
    if (plan.name === 'fp32' && state.source.original) {
      // An already-quantized --model: the baseline is its FP32 rebuild, and the file itself is measured beside it.
      variant.description = 'FP32 rebuilt from the quantized model (quantize --mode dequantize)';
      const { original } = state.source;
      const plan = { name: 'original', description: original.description, file: original.file, needsCalibration: false, byDefault: true };
      results.variants.push(await buildVariant(plan, join(outDir, plan.file), outDir, undefined, progress, stamp));
    }
    await state.writer.save();
  }
  state.built = results.variants.filter((v) => v.sizeBytes > 0);
}

/** int8-auto: the search writes the model (or, finding none worth shipping, nothing: recorded in results.search). */
async function buildSearchVariant(state: RunState, plan: VariantPlan): Promise<void> {
  const { results, settings } = state;
  try {
    const found = await searchVariant(state, plan);
    if (found) {
      const variant = emptyVariant(plan);
      const path = join(settings.outDir, found.file);
      variant.sizeBytes = (await stat(path)).size;
      variant.analysis = toAnalysis(analyzeModel(await loadModel(path), { fileBytes: variant.sizeBytes }));
      variant.build = { seconds: results.search?.seconds ?? 0, details: { ...(found.report as Record<string, unknown>), recipe: results.search?.recipePath } };
      results.variants.push(variant);
    }
  } catch (err) {
    const failed = emptyVariant(plan);
    state.fail('search', err, failed);
    results.variants.push(failed);
  }
  await state.writer.save();
}

const toAnalysis = (a: ReturnType<typeof analyzeModel>): VariantAnalysis => ({
  nodes: a.nodes,
  parameters: a.parameters.count,
  parameterBytes: a.parameterBytes,
  macs: a.macs.total,
  opCounts: a.opCounts,
  quantization: a.quantization,
});

function emptyVariant(plan: VariantPlan): VariantResult {
  return {
    name: plan.name,
    description: plan.description,
    path: plan.file,
    sizeBytes: 0,
    analysis: { nodes: 0, parameters: 0, parameterBytes: 0, macs: 0, opCounts: {}, quantization: {} },
    benchmarks: {},
    errors: [],
  };
}

async function buildVariant(
  plan: VariantPlan,
  sourcePath: string,
  outDir: string,
  calibrationData: CalibrationData | undefined,
  progress: Progress,
  stamp: MetadataStamp,
): Promise<VariantResult> {
  const path = join(outDir, plan.file);
  const variant = emptyVariant(plan);
  const request = plan.quantize;
  if (request) {
    progress.step(`  ${plan.name}: ${plan.description}`);
    await rm(path, { force: true });
    // Static variants share the run's one calibration; the other modes take no calibration data.
    const options = request.mode === 'static' ? { ...request, calibrationData } : request;
    const result = await quantizeModelFile(sourcePath, path, { ...options, progress, stamp });
    variant.build = { seconds: result.quantizeMs / 1000, details: result.report as unknown as Record<string, unknown> };
  } else if (sourcePath !== path) {
    await copyFile(sourcePath, path);
  }
  variant.sizeBytes = (await stat(path)).size;
  variant.analysis = toAnalysis(analyzeModel(await loadModel(path), { fileBytes: variant.sizeBytes }));
  return variant;
}
