import type { BenchResult } from '../bench/benchmark.js';
import type { EvalJob } from './jobs.js';

/** Messages between an agent and the runner it starts for each accuracy job and its provider probe (src/fleet/runner.ts). */
export type RunnerRequest =
  /** Which execution providers open a session on this device. */
  | { kind: 'probe' }
  | { kind: 'eval'; job: EvalJob; modelPath: string; referencePath?: string; dataDir: string };

export interface EvalSummary {
  dataset: string;
  images: number;
  map50: number;
  map50_95: number;
  precision: number;
  recall: number;
  fidelity?: { cosine: number; maxAbsDiff: number; detectionAgreement?: number };
}

export type RunnerResult =
  | { kind: 'probe'; providers: string[] }
  | { kind: 'bench'; results: Array<Omit<BenchResult, 'timingsMs'>> }
  | { kind: 'eval'; result: EvalSummary };

export type RunnerReply = { ok: true; result: RunnerResult } | { ok: false; error: string };
