/**
 * The int8-auto variant of `edgeopt run`: `quantize --mode auto` on the run's FP32 model, with the run's own
 * calibration images (or the synthetic model's seeded noise), its eval data and contract for the paired mAP, its
 * providers and child time limits. The search's verdict, recipe and trace go into results.json (`search`); when no
 * INT8 configuration beats FP32 within the accuracy budget that is an honest result, not an error: no model is
 * written, the run carries on with the other variants and says why.
 */
import { basename, join } from 'node:path';
import type { SearchRecord } from '../results/schema.js';
import { EdgeoptError } from '../util/errors.js';
import { autoQuantizeFile, MIN_SQNR_WITHOUT_EVAL_DB, type AutoQuantizeFileOptions } from './auto-quantize.js';
import type { RunState } from './state.js';
import type { VariantPlan } from './variants.js';

/** The search's default time budget inside a run (the issue's target for YOLOv5nu on a 2-core machine). */
export const DEFAULT_SEARCH_BUDGET_MS = 10 * 60_000;
/**
 * The built-in synthetic model's: with random weights and noise images there is no accuracy to protect, only a
 * latency to measure, so a short search says as much as a long one (and `run` on a fresh machine stays quick).
 */
export const SYNTHETIC_SEARCH_BUDGET_MS = 2 * 60_000;
export const DEFAULT_SEARCH_MAX_DROP = 0.3;

/** Runs the search; returns the written file's name and the quantizer's report when it found a configuration. */
export async function searchVariant(state: RunState, plan: VariantPlan): Promise<{ file: string; report?: unknown } | undefined> {
  const { settings, progress, calibration, results } = state;
  if (!calibration) return undefined;
  const outPath = join(settings.outDir, plan.file);
  const budgetMs = settings.searchBudgetMs ?? (state.source.info.synthetic ? SYNTHETIC_SEARCH_BUDGET_MS : DEFAULT_SEARCH_BUDGET_MS);
  const maxDrop = settings.maxDrop ?? DEFAULT_SEARCH_MAX_DROP;
  // Paired mAP only where the run itself measures accuracy (a decoder, labelled data, real weights).
  const evalData = state.contract.contract.decoder && !state.source.info.synthetic ? state.evalData : undefined;
  const source = calibration.source;
  let calib: AutoQuantizeFileOptions['calib'];
  if (Symbol.asyncIterator in source) {
    if (!calibration.steering) throw new EdgeoptError('the INT8 search needs steering samples disjoint from the calibration samples');
    calib = { calibration: source, steering: calibration.steering, description: calibration.description };
  } else calib = source.imageDir;
  const feeds = Symbol.asyncIterator in source ? undefined : source.feeds;
  progress.step(`  ${plan.name}: searching this model's INT8 configuration on this device (budget ${(budgetMs / 60_000).toFixed(1)} min, ${evalData ? `mAP drop ≤ ${maxDrop}` : `output SQNR ≥ ${MIN_SQNR_WITHOUT_EVAL_DB} dB`}; Ctrl-C keeps the best so far)`);
  settings.onSearch?.(true);
  let result: Awaited<ReturnType<typeof autoQuantizeFile>>;
  try {
    result = await autoQuantizeFile(state.fp32Path, outPath, {
      calib,
      calibLimit: settings.calibImages ?? 128,
      calibFeeds: feeds,
      maxBad: state.dataRules.maxBad,
      strict: state.dataRules.strict,
      evalData,
      evalImages: settings.evalImages,
      evalContract: state.flags,
      maxDrop,
      budgetMs,
      signal: settings.signal,
      progress,
      stamp: state.stamp,
      // The verification benchmark follows the run's own settings (a quick run verifies quickly).
      benchRuns: settings.runs,
      benchRounds: settings.rounds,
      practical: settings.scenarios.includes('practical'),
      timeoutMs: settings.timeoutMs,
      providers: settings.providers,
    });
  } finally {
    settings.onSearch?.(false);
  }
  const { recipe, ...search } = result.search;
  const record: SearchRecord = {
    ...search,
    ...(result.outputPath ? { variant: plan.name } : {}),
    ...(result.recipePath ? { recipePath: basename(result.recipePath) } : {}),
    ...(recipe ? { recipe } : {}),
    accuracyBudget: evalData
      ? { maxDrop, evalData, ...(settings.evalImages ? { evalImages: settings.evalImages } : {}) }
      : { minSqnrDb: MIN_SQNR_WITHOUT_EVAL_DB, why: state.source.info.synthetic ? 'synthetic weights: no accuracy to measure' : !state.contract.contract.decoder ? 'no decoder' : 'no labelled data' },
    budgetMinutes: budgetMs / 60_000,
  };
  results.search = record;
  if (record.verdict === 'found') progress.step(`  ${plan.name}: ${record.reason}; recipe ${record.recipePath}`);
  else progress.step(`  ${plan.name}: ${searchVerdictSentence(record)}`);
  return result.outputPath ? { file: plan.file, report: result.report } : undefined;
}

/** The finding when the search ran: what it chose, or why it wrote nothing (in the profile's numbers). */
export function searchVerdictSentence(record: SearchRecord): string {
  if (record.verdict === 'found') return `the INT8 search wrote ${record.variant} (recipe ${record.recipePath}): ${record.reason}`;
  return `the INT8 search found no INT8 configuration faster than FP32 within the accuracy budget on this device, so int8-auto was not written: ${record.reason}`;
}
