/**
 * `edgeopt run`, the study's main.py done properly: the stages below, in order, over one RunState (state.ts).
 * Each stage is a function of its own in stages/; results.json is written only by the run's ResultsWriter,
 * after every stage, so an interrupted run still leaves valid partial results.
 */
import type { RunResults } from '../results/schema.js';
import { benchmarkVariants, profileVariants } from './stages/bench.js';
import { measureAccuracy } from './stages/accuracy.js';
import { measureVariantFidelity } from './stages/fidelity.js';
import { prepareRun } from './stages/prepare.js';
import { explainMeasurements, selectBest } from './stages/select.js';
import { buildVariants } from './stages/variants.js';
import type { RunOptions, RunStage } from './state.js';

export type { RunOptions, RunSettings, RunState, RunStage } from './state.js';
export { RUN_DEFAULTS } from './defaults.js';
export { assertKnownVariants, VARIANT_PLANS } from './variants.js';
/** Kept for callers of the library that read it here; the constant lives in util/version.ts. */
export { TOOL_VERSION } from '../util/version.js';

/** After prepareRun (stage 1): build → accuracy → fidelity → benchmark → profile → explain → select. */
export const RUN_STAGES: readonly RunStage[] = [buildVariants, measureAccuracy, measureVariantFidelity, benchmarkVariants, profileVariants, explainMeasurements, selectBest];

export async function runPipeline(options: RunOptions): Promise<RunResults> {
  const state = await prepareRun(options);
  const { results, writer } = state;
  try {
    for (const stage of RUN_STAGES) {
      state.checkAbort();
      await stage(state);
    }
    results.status = results.errors.length === 0 ? 'complete' : 'partial';
  } catch (err) {
    if (state.settings.signal?.aborted) {
      // What exists now (e.g. the search's best configuration so far), with the report and its charts.
      await writer.finish().catch(() => undefined);
      throw err;
    }
    state.fail('run', err);
    results.status = 'partial';
    await writer.finish().catch(() => undefined);
    throw err;
  }
  await writer.finish();
  return results;
}
