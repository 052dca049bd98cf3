/** Stages 7 and 8: findings in words from the measurements and profiles, then the best variant for this machine. */
import { selectVariant } from '../../select/select.js';
import { explain } from '../explain.js';
import type { RunState } from '../state.js';

export async function explainMeasurements(state: RunState): Promise<void> {
  state.stepLine('explaining the measurements');
  const { results } = state;
  ({ findings: results.findings, headlines: results.headlines } = explain(results, state.profiles));
}

export async function selectBest(state: RunState): Promise<void> {
  state.stepLine('selecting the best variant for this machine');
  try {
    const selection = selectVariant(state.results, {}, 'controlled');
    // No INT8 worth shipping is part of why this variant was chosen: said beside the choice, the reason in the list.
    const search = state.results.search;
    if (search?.verdict === 'none') {
      selection.summary += '; the INT8 search found no INT8 configuration faster than FP32 within the accuracy budget here, so there is no int8-auto to choose';
      selection.reasons.push({ variant: 'int8-auto', accepted: false, text: `int8-auto not written: ${search.reason}` });
    }
    state.results.selection = selection;
  } catch (err) {
    state.fail('select', err);
  }
}
