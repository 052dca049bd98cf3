import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { benchmarkModels } from '../bench/benchmark.js';
import { profileModel } from '../diagnose/profile.js';
import { evaluateModel } from '../eval/evaluate.js';
import { matchImage, pairedMapDifference, type ImageMatches } from '../eval/paired.js';
import { setMetadata, type MetadataStamp } from '../onnx/builder.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import type { LoadedModel } from '../onnx/types.js';
import { assertNotQuantized } from '../quantize/already-quantized.js';
import type { ContractFlags } from '../eval/contract/types.js';
import { calibrationImagePaths, takeFeedRecords, type CalibrationSample, type CalibrationSource, type FeedBuilder } from '../quantize/calibrate/index.js';
import { collectOutputs, visitOutputs, type PlainOutput } from '../quantize/outputs.js';
import { writeRecipe } from '../quantize/recipe.js';
import { searchQuantization, type FidelityScore, type LatencyFigures, type PairedAccuracy, type SearchResult } from '../quantize/search/search.js';
import { announceProviderFallback } from '../runtime/fallback.js';
import type { SessionConfig } from '../runtime/runtime.js';
import { EdgeoptError } from '../util/errors.js';
import { agreementDb, detectionSteering, type DetectionSteering } from './detection-steering.js';
import { silentProgress, type Progress } from '../util/progress.js';

/**
 * `quantize --mode auto` on files: the quantize stage's search gets its measurements from the later stages here —
 * onnxruntime profiles (diagnose) for the latency model, the isolated benchmark harness (bench) to verify candidates
 * against FP32, output SQNR on a held-out calibration subset to steer, and paired mAP with a bootstrap interval
 * (eval) to confirm.
 */
export interface AutoQuantizeFileOptions {
  /**
   * Calibration images (folder or dataset file): the last `fidelityImages` of them are held out for steering. Or
   * ready samples (`edgeopt run` on the synthetic model: seeded noise), a calibration set and a disjoint steering set.
   */
  calib: string | ReadyCalibration;
  calibLimit?: number;
  calibFeeds?: FeedBuilder;
  maxBad?: number;
  strict?: boolean;
  /** Dataset for the paired mAP confirmation; without it accuracy is judged by output SQNR only (and said so). */
  evalData?: string;
  evalImages?: number;
  /** The contract flags the eval data is read with (`edgeopt run`'s --preprocess/--decoder). */
  evalContract?: ContractFlags;
  /** Largest mAP50-95 drop accepted, points (default 0.3). */
  maxDrop?: number;
  /** Search time budget, ms (default 10 min). */
  budgetMs?: number;
  signal?: AbortSignal;
  progress?: Progress;
  stamp?: MetadataStamp;
  /** Held-out images the fidelity is measured on (default 16). */
  fidelityImages?: number;
  /** Timed runs per candidate and scenario in the verification benchmark (default 40). */
  benchRuns?: number;
  /** Rounds of fresh processes in the verification benchmark (default 5: short rotated rounds spread the machine's own speed steps over every candidate). */
  benchRounds?: number;
  /** Also measure the practical (all cores) scenario of verified candidates (default true). */
  practical?: boolean;
  /** Time limit per profile or benchmark child process, ms. */
  timeoutMs?: number;
  /**
   * Execution providers, tried in order with an explicit fallback (default ['cpu']), for the sessions the search
   * opens here: reference and candidate outputs, profiles, the verification benchmark and the accuracy runs.
   */
  providers?: string[];
  /** Write the recipe here (default: beside the output, `<out>.recipe.json`). */
  recipePath?: string;
}

/** Samples the caller made (the calibration one must be iterable more than once: bias correction reads it again). */
export interface ReadyCalibration {
  calibration: AsyncIterable<CalibrationSample>;
  steering: AsyncIterable<CalibrationSample>;
  /** What the samples are, in words ("8 seeded noise images"). */
  description: string;
}

export interface AutoQuantizeFileResult {
  inputPath: string;
  /** Written only when the search found an INT8 model faster than FP32 within the accuracy budget. */
  outputPath?: string;
  recipePath?: string;
  search: Omit<SearchResult, 'model' | 'report'>;
  report?: SearchResult['report'];
}

/** Fewest output SQNR (dB) accepted without a dataset to measure mAP on. */
export const MIN_SQNR_WITHOUT_EVAL_DB = 25;

export function recipePathFor(outPath: string): string {
  return outPath.replace(/\.onnx$/i, '') + '.recipe.json';
}

export async function autoQuantizeFile(inPath: string, outPath: string, options: AutoQuantizeFileOptions): Promise<AutoQuantizeFileResult> {
  const progress = options.progress ?? silentProgress;
  // With a signal to finish on (Ctrl-C), the profile and benchmark children lead their own process groups: a
  // terminal's Ctrl-C then reaches only this process, and the search can still verify its best so far.
  const graceful = options.signal !== undefined;
  const model = await loadModel(inPath);
  assertNotQuantized(model, '--mode auto', { input: inPath, output: outPath });
  const work = await mkdtemp(join(tmpdir(), 'edgeopt-auto-'));
  let counter = 0;
  const asFile = async (m: LoadedModel, label: string) => {
    const path = join(work, `${counter++}-${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}.onnx`);
    await saveModel(m, path);
    return path;
  };
  try {
    const quality = { maxBad: options.maxBad, strict: options.strict, onWarning: (line: string) => progress.warn(line) };
    let calibration: CalibrationSource;
    let samples: Awaited<ReturnType<typeof takeFeedRecords>>;
    if (typeof options.calib === 'string') {
      // A fixed subset disjoint from calibration: the last images of the calibration set are held out for steering.
      const all = await calibrationImagePaths(options.calib);
      const held = Math.min(options.fidelityImages ?? 16, Math.floor(all.length / 4));
      if (held < 1) throw new EdgeoptError(`--mode auto needs at least 4 calibration images (it holds a quarter out, up to 16, to steer on); ${options.calib} has ${all.length}`);
      const calibrated = Math.min(options.calibLimit ?? Infinity, all.length - held);
      calibration = { imageDir: options.calib, limit: calibrated, feeds: options.calibFeeds, quality };
      samples = await takeFeedRecords(model, { imageDir: options.calib, feeds: options.calibFeeds, quality }, held, all.length - held);
      progress.step(`search: calibrating on ${calibrated} images, steering on ${samples.length} held-out images`);
    } else {
      calibration = options.calib.calibration;
      samples = await takeFeedRecords(model, options.calib.steering, options.fidelityImages ?? 16);
      progress.step(`search: calibrating on ${options.calib.description}, steering on ${samples.length} held-out samples`);
    }
    const session = options.providers ? { providers: options.providers } : undefined;
    const reference = await collectOutputs(model, samples, session);
    // Steer on what a detector's user loses (detections, box precision) when the model's decoder reads its outputs.
    const found = detectionSteering(model, reference, options.evalContract);
    const steering = 'reason' in found ? undefined : found;
    const steeringNote = 'reason' in found ? `output SQNR per channel against FP32 (no detection agreement: ${found.reason})` : found.description;
    progress.step(`search: steering on ${steeringNote}`);

    let fp32Images: ImageMatches[] | undefined;
    const evalImages = async (path: string, warn: boolean): Promise<ImageMatches[]> => {
      const images: ImageMatches[] = [];
      await evaluateModel(path, options.evalData!, {
        contract: options.evalContract,
        // FP32 is checked first: under a contract that does not fit, every mAP (and so every drop) would be wrong.
        check: warn,
        maxImages: options.evalImages,
        maxBad: options.maxBad,
        strict: options.strict,
        onWarning: warn ? (line) => progress.warn(line) : undefined,
        onImage: (_, gt, detections) => images.push(matchImage(gt, detections)),
        session,
      });
      return images;
    };

    const result = await searchQuantization(model, {
      name: basename(inPath),
      calibration,
      maxDrop: options.maxDrop,
      budgetMs: options.budgetMs,
      signal: options.signal,
      progress,
      minSqnrDb: options.evalData ? undefined : MIN_SQNR_WITHOUT_EVAL_DB,
      measure: {
        profile: async (m, label) => {
          const profile = await profileModel(await asFile(m, label), { runs: 10, warmup: 3, allNodes: true, timeoutMs: options.timeoutMs, providers: options.providers, detached: graceful });
          announceProviderFallback({ label, ...profile });
          return (profile.nodes ?? []).map((n) => ({ name: n.name, opType: n.opType, ms: n.msPerRun }));
        },
        benchmark: async (candidates) => {
          const paths = [inPath];
          for (const c of candidates) paths.push(await asFile(c.model, c.label));
          const runs = options.benchRuns ?? 40;
          const scenarios = options.practical === false ? (['controlled'] as const) : (['controlled', 'practical'] as const);
          progress.step(`search: verifying ${candidates.length} candidate(s) against FP32 in the benchmark harness (${scenarios.join(' + ')}, isolated processes, rotated rounds)`);
          const results = await benchmarkModels(paths, { scenarios: [...scenarios], runs, warmup: 5, rounds: options.benchRounds ?? 5, maxRuns: 2 * runs, timeoutMs: options.timeoutMs, providers: options.providers, detachChildren: graceful });
          for (const r of results) if (r.provenance.run) announceProviderFallback({ label: basename(r.model), ...r.provenance.run });
          const figures = (path: string): LatencyFigures => {
            const controlled = results.find((r) => r.model === path && r.scenario === 'controlled');
            const practical = results.find((r) => r.model === path && r.scenario === 'practical');
            return {
              p50Ms: controlled?.stats?.p50Ms ?? Number.NaN,
              ...(practical?.stats ? { practicalP50Ms: practical.stats.p50Ms, practicalThreads: practical.threads } : {}),
            };
          };
          return { fp32: figures(inPath), candidates: paths.slice(1).map(figures) };
        },
        steering: steeringNote,
        fidelity: async (m) => outputFidelity(m, samples, reference, session, steering),
        accuracy: options.evalData
          ? async (m): Promise<PairedAccuracy> => {
              if (!fp32Images) {
                progress.step(`search: FP32 accuracy on ${options.evalData}`);
                fp32Images = await evalImages(inPath, true);
              }
              const candidate = await evalImages(await asFile(m, 'accuracy'), false);
              const d = pairedMapDifference(fp32Images, candidate);
              return { fp32Map: d.referenceMap, map: d.candidateMap, drop: d.drop, ci: d.ci, images: d.images };
            }
          : undefined,
      },
    });
    const { model: quantized, report, ...search } = result;
    if (result.verdict !== 'found' || !quantized || !result.recipe) return { inputPath: inPath, search };
    if (options.stamp) setMetadata(quantized, options.stamp(quantized));
    await saveModel(quantized, outPath);
    const recipePath = options.recipePath ?? recipePathFor(outPath);
    await writeRecipe(recipePath, result.recipe);
    return { inputPath: inPath, outputPath: outPath, recipePath, search, report };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The steering figure: detection agreement with FP32 (F1 over IoU 0.5:0.95, in dB: see agreementDb) when
 * `steering` is given, else SQNR per output channel (a detector's box coordinates are in pixels, its class scores in
 * 0..1 — one SQNR over both would hear only the boxes), averaged in dB over channels and outputs, capped at 60 dB.
 */
export async function outputFidelity(m: LoadedModel, samples: Parameters<typeof visitOutputs>[1], reference: PlainOutput[][], session?: SessionConfig, steering?: DetectionSteering): Promise<FidelityScore> {
  const sums = new Map<string, { signal: Float64Array; noise: Float64Array }>();
  const whole = { signal: 0, noise: 0 };
  const agreement = steering?.agreement();
  await visitOutputs(m, samples, (i, outputs) => {
    agreement?.add(i, outputs);
    for (const out of outputs) {
      const ref = reference[i]!.find((r) => r.name === out.name);
      if (!ref || ref.data.length !== out.data.length) continue;
      const axis = channelAxis(ref.dims);
      const channels = ref.dims[axis] ?? 1;
      const inner = ref.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      let s = sums.get(out.name);
      if (!s) sums.set(out.name, (s = { signal: new Float64Array(channels), noise: new Float64Array(channels) }));
      for (let k = 0; k < ref.data.length; k++) {
        const c = Math.floor(k / inner) % channels;
        const y = ref.data[k]!;
        const d = out.data[k]! - y;
        s.signal[c]! += y * y;
        s.noise[c]! += d * d;
        whole.signal += y * y;
        whole.noise += d * d;
      }
    }
  }, { session });
  const db = (signal: number, noise: number) => (noise === 0 ? 60 : signal === 0 ? 0 : Math.min(60, 10 * Math.log10(signal / noise)));
  const perChannel: number[] = [];
  for (const s of sums.values()) for (let c = 0; c < s.signal.length; c++) if (s.signal[c]! > 0 || s.noise[c]! > 0) perChannel.push(db(s.signal[c]!, s.noise[c]!));
  const channelSqnrDb = perChannel.length ? perChannel.reduce((a, b) => a + b, 0) / perChannel.length : 0;
  const sqnrDb = whole.noise === 0 ? null : db(whole.signal, whole.noise);
  if (!agreement) return { score: channelSqnrDb, channelSqnrDb, sqnrDb };
  const detectionF1 = agreement.f1();
  return { score: agreementDb(detectionF1), channelSqnrDb, sqnrDb, detectionF1 };
}

/** The channel axis of an output: the smaller of dims[1] and the last dim (84 of [1, 84, 8400]; 85 of [1, 25200, 85]). */
function channelAxis(dims: readonly number[]): number {
  if (dims.length < 3) return dims.length - 1;
  return dims[1]! <= dims[dims.length - 1]! ? 1 : dims.length - 1;
}
