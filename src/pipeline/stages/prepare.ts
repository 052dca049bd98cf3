/**
 * Stage 1, prepare: the FP32 model in the output folder (converted, copied, rebuilt or synthetic), its contract,
 * the eval and calibration data, what will be skipped and why, and the results record every later stage fills.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { machineProvenance } from '../../bench/provenance.js';
import { contractFeedBuilder } from '../../eval/contract/feed-builder.js';
import { contractSummary, describeSource, unconfirmedPreprocessing } from '../../eval/contract/format.js';
import { contractStamp } from '../../eval/contract/read.js';
import { RESULTS_SCHEMA_VERSION, type RunResults, type VariantResult } from '../../results/schema.js';
import { describeError, EdgeoptError } from '../../util/errors.js';
import { TOOL_VERSION } from '../../util/version.js';
import { calibrationSource } from '../calibration.js';
import { RUN_DEFAULTS } from '../defaults.js';
import { prepareModel } from '../model-source.js';
import { resultsWriter } from '../results-writer.js';
import type { RunOptions, RunSettings, RunState } from '../state.js';
import { assertKnownVariants } from '../variants.js';

/** Steps announced as "[n/8]" (fidelity is skipped without images, so a run may end at 7). */
const STEPS = 8;

/** The options with the library's defaults; unknown variant names fail here, before any work. */
export function runSettings(options: RunOptions): RunSettings {
  assertKnownVariants(options.variants);
  // The search's limits are checked here, before any work, not after the variants before it were built.
  if (options.maxDrop !== undefined && !(options.maxDrop >= 0)) throw new EdgeoptError(`max drop must be a number of mAP points >= 0, got ${String(options.maxDrop)}`);
  if (options.searchBudgetMs !== undefined && !(options.searchBudgetMs > 0)) throw new EdgeoptError(`search budget must be a positive time, got ${String(options.searchBudgetMs)} ms`);
  return {
    outDir: options.outDir,
    runs: options.runs ?? RUN_DEFAULTS.runs,
    warmup: options.warmup ?? RUN_DEFAULTS.warmup,
    rounds: options.rounds ?? RUN_DEFAULTS.rounds,
    scenarios: options.scenarios ?? [...RUN_DEFAULTS.scenarios],
    profileRuns: options.profileRuns ?? RUN_DEFAULTS.profileRuns,
    evalImages: options.evalImages,
    calibImages: options.calibImages,
    variants: options.variants,
    maxDrop: options.maxDrop,
    searchBudgetMs: options.searchBudgetMs,
    timeoutMs: options.timeoutMs,
    providers: options.providers,
    signal: options.signal,
    onSearch: options.onSearch,
  };
}

export async function prepareRun(options: RunOptions): Promise<RunState> {
  const settings = runSettings(options);
  const { outDir } = settings;
  const { progress } = options;
  await mkdir(outDir, { recursive: true });
  let step = 0;
  const stepLine = (text: string) => progress.step(`[${++step}/${STEPS}] ${text}`);

  stepLine('preparing the model');
  const fp32Path = join(outDir, 'model.onnx');
  const flags = options.contract ?? {};
  const source = await prepareModel(options.model, fp32Path, progress, flags);
  const resolved = source.contract;
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
  const calibration = resolved.feedProblem
    ? undefined
    : calibrationSource(calibData, source.info.synthetic, settings.calibImages, fp32Path, { ...dataRules, onWarning: (l) => progress.warn(l) }, feeds);
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
      runs: settings.runs,
      warmup: settings.warmup,
      rounds: settings.rounds,
      scenarios: settings.scenarios,
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
  const writer = resultsWriter(outDir, results);
  // Ctrl-C can come in the middle of a long benchmark: record what exists now, synchronously, so the
  // caller may exit at once and still leave a valid (partial) results.json and report.md behind.
  settings.signal?.addEventListener('abort', () => {
    results.status = 'partial';
    results.errors.push({ step: 'run', message: 'interrupted by the user' });
    writer.saveNow();
  }, { once: true });

  return {
    settings,
    progress,
    flags,
    stamp: contractStamp(flags),
    fp32Path,
    source,
    contract: resolved,
    evalData,
    calibData,
    calibration,
    dataRules,
    results,
    writer,
    built: [],
    profiles: new Map(),
    fail: (stepName: string, err: unknown, variant?: VariantResult) => {
      const message = describeError(err);
      results.errors.push({ step: stepName, variant: variant?.name, message });
      variant?.errors.push(`${stepName}: ${message}`);
      progress.warn(`${stepName}${variant ? ` (${variant.name})` : ''} failed: ${message}`);
      // EDGEOPT_DEBUG=1 shows where a failed step failed, as the CLI does for an internal error.
      if (process.env.EDGEOPT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    },
    checkAbort: () => {
      if (settings.signal?.aborted) throw new EdgeoptError('interrupted', { exitCode: 130 });
    },
    stepLine,
  };
}
