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
    state.results.selection = selectVariant(state.results, {}, 'controlled');
  } catch (err) {
    state.fail('select', err);
  }
}
