import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeModel } from '../analyze/analyze.js';
import { benchmarkModels, type BenchResult } from '../bench/benchmark.js';
import { checkRunPlausibility, inferPrecision } from '../bench/plausibility.js';
import { machineProvenance } from '../bench/provenance.js';
import type { ScenarioName } from '../bench/scenarios.js';
import { profileModel, type Profile } from '../diagnose/index.js';
import { contractFeedBuilder } from '../eval/contract/feed-builder.js';
import { contractSummary, describeSource, unconfirmedPreprocessing } from '../eval/contract/format.js';
import { contractStamp } from '../eval/contract/read.js';
import type { ContractFlags } from '../eval/contract/types.js';
import { ContractMismatchError, evaluateModel, NoDecoderError } from '../eval/evaluate.js';
import { SUGGESTION_IMAGES } from '../eval/suggest.js';
import { measureFidelity } from '../eval/fidelity-run.js';
import { FIDELITY_IMAGES, fidelityImages } from './fidelity-images.js';
import type { MetadataStamp } from '../onnx/builder.js';
import { loadModel } from '../onnx/model-io.js';
import { optimizeModelFile } from '../optimize/file.js';
import type { CalibrationData } from '../quantize/calibrate/index.js';
import { calibrateStatic } from '../quantize/static/index.js';
import { modes, quantizeModelFile } from '../quantize/index.js';
import { renderReport } from '../report/markdown.js';
import { writeReport } from '../report/write.js';
import { writeFileAtomicSync } from '../util/fs.js';
import { writeResults } from '../results/io.js';
import { RESULTS_SCHEMA_VERSION, type RunResults, type VariantAnalysis, type VariantResult } from '../results/schema.js';
import { selectVariant } from '../select/select.js';
import { DataQualityError } from '../util/data-quality.js';
import { describeError, EdgeoptError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import { calibrationSource } from './calibration.js';
import { explain } from './explain.js';
import { prepareModel } from './model-source.js';
import { VARIANT_PLANS, type VariantPlan } from './variants.js';

export const TOOL_VERSION = '0.1.0';

export interface RunOptions {
  /** `--preprocess`, `--decoder`, `--aux-input` as parsed flags (the rest from the model's contract). */
  contract?: ContractFlags;
  /** A .onnx or .pt path, a named model ('yolov5n', …), 'default', or undefined for the default choice. */
  model?: string;
  outDir: string;
  runs?: number;
  warmup?: number;
  rounds?: number;
  scenarios?: ScenarioName[];
  /** YOLO-format dataset for accuracy; undefined = shared coco_val128 when present; false = skip. */
  evalData?: string | false;
  evalImages?: number;
  /** Image folder for static INT8 calibration; undefined = shared coco128 when present; false = skip. */
  calibData?: string | false;
  calibImages?: number;
  /** Largest accepted share of bad images or labels in the eval and calibration data, 0..1 (default 0.05). */
  maxBad?: number;
  /** Fail at the first bad image or label. */
  strict?: boolean;
  /** Only build these variants (fp32 is always included). */
  variants?: string[];
  profileRuns?: number;
  /** Per child-process time limit. */
  timeoutMs?: number;
  /** Execution providers for benchmarks and profiles, tried in order (default ['cpu']). */
  providers?: string[];
  progress: Progress;
  /** Aborts between steps (Ctrl-C): results so far are written and marked partial. */
  signal?: AbortSignal;
}

const toAnalysis = (a: ReturnType<typeof analyzeModel>): VariantAnalysis => ({
  nodes: a.nodes,
  parameters: a.parameters.count,
  parameterBytes: a.parameterBytes,
  macs: a.macs.total,
  opCounts: a.opCounts,
  quantization: a.quantization,
});

/**
 * The study's main.py, done properly: prepare the model, build every variant, measure accuracy,
 * benchmark in isolated processes, profile, explain, select, and write results.json + report.md.
 * results.json is rewritten after every step, so an interrupted run still leaves valid partial results.
 */
export async function runPipeline(options: RunOptions): Promise<RunResults> {
  const { outDir, progress } = options;
  await mkdir(outDir, { recursive: true });
  const scenarios = options.scenarios ?? ['controlled', 'practical'];
  const steps = 8;
  let step = 0;
  const stepLine = (text: string) => progress.step(`[${++step}/${steps}] ${text}`);
  const checkAbort = () => {
    if (options.signal?.aborted) throw new EdgeoptError('interrupted', { exitCode: 130 });
  };

  stepLine('preparing the model');
  const fp32Path = join(outDir, 'model.onnx');
  const flags = options.contract ?? {};
  const source = await prepareModel(options.model, fp32Path, progress, flags);
  const resolved = source.contract;
  const stamp = contractStamp(flags);
  const decoder = resolved.contract.decoder;
  if (!decoder) progress.warn(`no decoder: ${resolved.decoderProblem} — accuracy and detection agreement are skipped, output fidelity is still measured`);
  else progress.step(`  contract: ${contractSummary(resolved)}`);
  for (const a of resolved.assumptions) progress.warn(`assumed: ${a}`);
  const evalData = options.evalData === false ? undefined : (options.evalData ?? source.defaultEvalData);
  const calibData = options.calibData === false ? undefined : (options.calibData ?? source.defaultCalibData);
  const skipped: string[] = [];
  if (source.info.synthetic) skipped.push('accuracy (synthetic weights)');
  else if (!decoder) skipped.push(`accuracy and detection agreement (${resolved.decoderProblem})`);
  else if (!evalData) skipped.push('accuracy (no --eval data; pass a dataset folder, data.yaml or COCO JSON)');
  const dataRules = { maxBad: options.maxBad, strict: options.strict };
  const feeds = resolved.feedProblem || source.info.synthetic ? undefined : contractFeedBuilder(resolved);
  const calibration = resolved.feedProblem ? undefined : calibrationSource(calibData, source.info.synthetic, options.calibImages, fp32Path, { ...dataRules, onWarning: (l) => progress.warn(l) }, feeds);
  if (resolved.feedProblem) skipped.push(`static INT8 and every image-fed measurement (${resolved.feedProblem})`);
  else if (!calibration) skipped.push('static INT8 (no --calib images; pass an image folder)');
  else if (calibration.note) source.info.notes.push(calibration.note);
  const unconfirmed = calibration && !source.info.synthetic ? unconfirmedPreprocessing(resolved) : undefined;
  if (unconfirmed) {
    progress.warn(`feeding images with ${unconfirmed}`);
    source.info.notes.push(`Images were fed with ${unconfirmed}.`);
  }

  const results: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'edgeopt', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    status: 'partial',
    environment: machineProvenance(),
    model: source.info,
    settings: {
      runs: options.runs ?? 100,
      warmup: options.warmup ?? 10,
      rounds: options.rounds ?? 3,
      scenarios,
      evalData: source.info.synthetic ? undefined : evalData,
      calibData: calibration?.description,
      skipped,
    },
    variants: [],
    findings: [],
    errors: [],
    contract: {
      summary: contractSummary(resolved),
      ...(decoder ? { decoder: decoder.name } : {}),
      ...(resolved.decoderProblem ? { decoderProblem: resolved.decoderProblem } : {}),
      sources: Object.fromEntries(Object.entries(resolved.sources).map(([k, v]) => [k, describeSource(v)])),
      assumptions: resolved.assumptions,
    },
  };
  const save = () => writeResults(join(outDir, 'results.json'), results);
  // Ctrl-C can come in the middle of a long benchmark: record what exists now, synchronously, so the
  // caller may exit at once and still leave a valid (partial) results.json and report.md behind.
  options.signal?.addEventListener('abort', () => {
    results.status = 'partial';
    results.errors.push({ step: 'run', message: 'interrupted by the user' });
    writeFileAtomicSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileAtomicSync(join(outDir, 'report.md'), renderReport(results, []));
  }, { once: true });
  const fail = (stepName: string, err: unknown, variant?: VariantResult) => {
    const message = describeError(err);
    results.errors.push({ step: stepName, variant: variant?.name, message });
    variant?.errors.push(`${stepName}: ${message}`);
    progress.warn(`${stepName}${variant ? ` (${variant.name})` : ''} failed: ${message}`);
  };

  try {
    // Variants: FP32 plus every quantized form whose prerequisites are met.
    stepLine('building variants');
    const plans = VARIANT_PLANS.filter(
      (p) => p.name === 'fp32' || !options.variants || options.variants.includes(p.name),
    ).filter((p) => {
      if (p.quantize?.mode && !modes[p.quantize.mode]) {
        skipped.push(`${p.name} (quantization mode '${p.quantize.mode}' unavailable)`);
        return false;
      }
      return !(p.needsCalibration && !calibration);
    });
    // Exact rewrites first: variants marked fromOptimized start from this graph. When nothing
    // matched (e.g. an anchor-based YOLOv5 has no DFL) they start from the original instead.
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
    if (calibration && plans.some((p) => p.needsCalibration)) {
      // One calibration pass serves every static variant (each picks its method and tensors from it).
      const calibrated = plans.find((p) => p.needsCalibration)!;
      try {
        calibrationData = await calibrateStatic(await loadModel(sourceOf(calibrated)), calibration.source, { progress });
        if (calibrationData.dataQuality) (results.dataQuality ??= {}).calibration = calibrationData.dataQuality;
      } catch (err) {
        fail('calibrate', err);
      }
    }
    for (const plan of plans) {
      checkAbort();
      if (plan.needsCalibration && !calibrationData) continue;
      if (plan.name === 'fp32-optimized' && !optimizedApplies) continue;
      const variant = await buildVariant(plan, sourceOf(plan), outDir, calibrationData, progress, stamp).catch((err) => {
        const failed = emptyVariant(plan);
        fail('build', err, failed);
        return failed;
      });
      results.variants.push(variant);
      if (plan.name === 'fp32' && source.original) {
        // An already-quantized --model: the baseline is its FP32 rebuild, and the file itself is measured beside it.
        variant.description = 'FP32 rebuilt from the quantized model (quantize --mode dequantize)';
        const original = { name: 'original', description: source.original.description, file: source.original.file, needsCalibration: false };
        results.variants.push(await buildVariant(original, join(outDir, original.file), outDir, undefined, progress, stamp));
      }
      await save();
    }
    const built = results.variants.filter((v) => v.sizeBytes > 0);

    const accuracyWanted = Boolean(evalData && !source.info.synthetic);
    if (accuracyWanted && !decoder && results.contract) {
      // No decoder: never a guessed mAP, but say which decoders make sense on a few labelled images, measured.
      try {
        await evaluateModel(fp32Path, evalData!, { contract: flags, maxImages: SUGGESTION_IMAGES, ...dataRules });
      } catch (err) {
        if (err instanceof NoDecoderError && err.suggestion) {
          results.contract.decoderSuggestion = err.suggestion;
          progress.warn(`no decoder, but measured on ${SUGGESTION_IMAGES} labelled images: ${err.suggestion}`);
        } else if (!(err instanceof NoDecoderError)) {
          progress.warn(`could not try the decoders the shapes allow: ${describeError(err)}`);
        }
      }
    }
    stepLine(accuracyWanted && decoder ? `measuring accuracy on ${evalData}` : 'accuracy: skipped');
    for (const v of built) if (!source.info.synthetic) v.accuracyStatus = !decoder ? 'not measured: no decoder' : !evalData ? 'not measured: no labelled data' : undefined;
    if (accuracyWanted && decoder) {
      for (const variant of built) {
        checkAbort();
        try {
          // Every variant reads the same images: bad ones are named once, on the first. The FP32 model is checked
          // first: when its decoded output makes no sense, no variant's accuracy would mean anything.
          const first = results.dataQuality?.eval === undefined;
          const r = await evaluateModel(join(outDir, variant.path), evalData!, {
            contract: flags,
            check: variant.name === 'fp32',
            maxImages: options.evalImages,
            ...dataRules,
            onWarning: first ? (line) => progress.warn(line) : undefined,
            onProgress: (done, total) => progress.tick(`eval ${variant.name}`, done, total),
          });
          (results.dataQuality ??= {}).eval ??= r.dataQuality;
          if (variant.name === 'fp32') results.accuracyCheck = { fits: true, images: r.check?.evidence.images ?? 0, map50: r.check?.evidence.map50 };
          variant.accuracy = { images: r.images, map50: r.map50, map50_95: r.map50_95, precision: r.precision, recall: r.recall };
          variant.accuracyStatus = 'measured';
        } catch (err) {
          if (err instanceof ContractMismatchError) {
            results.accuracyCheck = { fits: false, reason: err.check.reason, suggestion: err.suggestion, images: err.check.evidence.images, map50: err.check.evidence.map50 };
            for (const v of built) v.accuracyStatus = 'not measured: contract mismatch';
            skipped.push(`accuracy (contract mismatch: ${err.check.reason}; ${err.suggestion})`);
            progress.warn(`the model contract does not fit this model (${err.check.reason}): accuracy not measured; ${err.suggestion}`);
            break;
          }
          variant.accuracyStatus = 'not measured: failed';
          fail('accuracy', err, variant);
          // Too much bad data is the data's fault, the same for every variant: say it once.
          if (err instanceof DataQualityError) break;
        }
      }
      await save();
    }

    // Output fidelity vs FP32 for every variant, whatever the model: per output, and detections when a decoder fits.
    // The first evaluation images (as many as --eval-images allows, 32 at most), else calibration images.
    const fidelityFiles = resolved.feedProblem || source.info.synthetic ? [] : await fidelityImages(evalData, calibData, Math.min(FIDELITY_IMAGES, options.evalImages ?? FIDELITY_IMAGES));
    if (fidelityFiles.length > 0) {
      stepLine(`output fidelity vs FP32 on ${fidelityFiles.length} images`);
      for (const variant of built.filter((v) => v.name !== 'fp32')) {
        checkAbort();
        try {
          const f = await measureFidelity(join(outDir, variant.path), fp32Path, fidelityFiles, {
            contract: flags,
            decode: results.accuracyCheck?.fits !== false,
            onProgress: (done, total) => progress.tick(`fidelity ${variant.name}`, done, total),
          });
          variant.fidelity = {
            cosine: f.worst.cosine,
            maxAbsDiff: f.worst.maxAbsDiff,
            sqnrDb: f.worst.sqnrDb,
            images: f.images,
            ...(f.detections ? { detectionAgreement: f.detections.recall, detectionF1: f.detections.f1 } : {}),
            ...(f.detectionsNote ? { detectionsNote: f.detectionsNote } : {}),
            outputs: f.outputs.map((o) => ({ name: o.name, cosine: o.cosine, sqnrDb: o.sqnrDb, maxAbsDiff: o.maxAbsDiff, ...(o.note ? { note: o.note } : {}) })),
          };
        } catch (err) {
          fail('fidelity', err, variant);
        }
      }
      await save();
    } else if (!source.info.synthetic) {
      skipped.push('output fidelity (no images: pass --eval or --calib)');
    }

    checkAbort();
    stepLine(`benchmarking ${built.length} variants (${scenarios.join(', ')}) in isolated processes`);
    const benches = await benchmarkModels(built.map((v) => join(outDir, v.path)), {
      scenarios,
      runs: options.runs,
      warmup: options.warmup,
      rounds: options.rounds,
      timeoutMs: options.timeoutMs,
      providers: options.providers,
      onProgress: (e) => progress.tick(`bench ${e.scenario}`, e.done, e.planned),
    });
    attachBenchmarks(built, outDir, benches, fail);
    for (const v of built) {
      const controlled = benches.find((b) => b.model === join(outDir, v.path) && b.scenario === 'controlled');
      const check = controlled && checkRunPlausibility(controlled, v.analysis.macs, inferPrecision(Object.keys(v.analysis.opCounts)));
      if (check) v.plausibility = { gmacPerS: check.gmacPerSecond, plausible: check.plausible, note: check.reason || undefined };
    }
    await save();

    checkAbort();
    stepLine('profiling every variant per operator (onnxruntime profiler)');
    const profiles = new Map<string, Profile>();
    for (const variant of built) {
      checkAbort();
      try {
        const profile = await profileModel(join(outDir, variant.path), { scenario: 'controlled', runs: options.profileRuns ?? 10, timeoutMs: options.timeoutMs, providers: options.providers });
        profiles.set(variant.name, profile);
        variant.profile = {
          scenario: profile.scenario,
          totalMs: profile.kernelMs,
          opTypes: profile.opTypes.map((o) => ({ opType: o.opType, ms: o.msPerRun, share: o.share, count: o.count })),
        };
      } catch (err) {
        fail('profile', err, variant);
      }
    }

    stepLine('explaining the measurements');
    ({ findings: results.findings, headlines: results.headlines } = explain(results, profiles));

    stepLine('selecting the best variant for this machine');
    try {
      results.selection = selectVariant(results, {}, 'controlled');
    } catch (err) {
      fail('select', err);
    }
    results.status = results.errors.length === 0 ? 'complete' : 'partial';
  } catch (err) {
    if (options.signal?.aborted) throw err;
    fail('run', err);
    results.status = 'partial';
    await save();
    await writeReport(outDir, results).catch(() => undefined);
    throw err;
  }
  await save();
  await writeReport(outDir, results);
  return results;
}

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
  if (plan.quantize) {
    progress.step(`  ${plan.name}: ${plan.description}`);
    await rm(path, { force: true });
    const result = await quantizeModelFile(sourcePath, path, {
      ...plan.quantize,
      ...(plan.needsCalibration ? { calibrationData } : {}),
      progress,
      stamp,
    });
    variant.build = { seconds: result.quantizeMs / 1000, details: result.report as unknown as Record<string, unknown> };
  } else if (sourcePath !== path) {
    await copyFile(sourcePath, path);
  }
  variant.sizeBytes = (await stat(path)).size;
  variant.analysis = toAnalysis(analyzeModel(await loadModel(path), { fileBytes: variant.sizeBytes }));
  return variant;
}

function attachBenchmarks(
  variants: VariantResult[],
  outDir: string,
  benches: BenchResult[],
  fail: (step: string, err: unknown, variant?: VariantResult) => void,
): void {
  for (const v of variants) {
    const mine = benches.filter((b) => b.model === join(outDir, v.path));
    for (const b of mine) {
      if (b.error) fail(`benchmark ${b.scenario}${b.scenario === 'sweep' ? ` ${b.threads} threads` : ''}`, b.error, v);
      if (!b.stats) continue;
      if (b.scenario === 'controlled') v.benchmarks.controlled = b.stats;
      else if (b.scenario === 'practical') {
        v.benchmarks.practical = b.stats;
        v.benchmarks.practicalThreads = b.threads;
      } else (v.benchmarks.sweep ??= []).push({ threads: b.threads, stats: b.stats });
    }
  }
}
