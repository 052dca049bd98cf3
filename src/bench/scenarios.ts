import { EdgeoptError } from '../util/errors.js';
import type { SessionConfig } from '../runtime/runtime.js';

/**
 * The measurement settings of the study, made explicit:
 * - controlled: one thread, no inter-op parallelism, no memory-pattern planning, no spinning —
 *   the scientific setting, where a variant's time is its own work and nothing else;
 * - practical: onnxruntime's defaults with every core as intra-op threads — what a deployment sees;
 * - sweep: intra-op threads 1..cores (spinning left at the default), for thread-scaling curves.
 */
export type ScenarioName = 'controlled' | 'practical' | 'sweep';

export const SCENARIO_NAMES: readonly ScenarioName[] = ['controlled', 'practical', 'sweep'];

/** One run set's settings: a scenario at a thread count, and the session config that implements it. */
export interface ScenarioRun {
  scenario: ScenarioName;
  /** Intra-op threads used (practical: os.availableParallelism(), recorded explicitly). */
  threads: number;
  config: SessionConfig;
}

export function controlledConfig(): SessionConfig {
  return { intraOpThreads: 1, interOpThreads: 1, executionMode: 'sequential', enableMemPattern: false, allowSpinning: false };
}

export function scenarioRuns(scenario: ScenarioName, cores: number): ScenarioRun[] {
  switch (scenario) {
    case 'controlled':
      return [{ scenario, threads: 1, config: controlledConfig() }];
    case 'practical':
      return [{ scenario, threads: cores, config: { intraOpThreads: cores } }];
    case 'sweep':
      return Array.from({ length: cores }, (_, i) => ({ scenario, threads: i + 1, config: { intraOpThreads: i + 1 } }));
  }
}

/** Parses a --scenario value: one name, a comma list, or 'all'. */
export function parseScenarios(value: string): ScenarioName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 1 && names[0] === 'all') return [...SCENARIO_NAMES];
  if (names.length === 0) throw new EdgeoptError(`--scenario needs one of ${SCENARIO_NAMES.join(', ')}, all`);
  for (const name of names) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new EdgeoptError(`unknown scenario '${name}' (expected ${SCENARIO_NAMES.join(', ')} or all)`);
    }
  }
  return [...new Set(names)] as ScenarioName[];
}
