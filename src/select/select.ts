import type { BenchStats } from '../bench/benchmark.js';
import type { RunResults, SelectionConstraints, SelectionResult, VariantResult } from '../results/schema.js';
import { EdgeoptError } from '../util/errors.js';
import { speedRatioPhrase } from '../util/speed.js';

export type SelectScenario = 'controlled' | 'practical';

/** Accuracy budget used when accuracy was measured and the user set none: one mAP50-95 point. */
export const DEFAULT_MAX_MAP_DROP = 1.0;

/**
 * Fidelity floors used when accuracy was not measured and the user set none: detection F1 vs FP32 when a
 * decoder fits, else the worst output's cosine similarity.
 */
export const DEFAULT_MIN_DETECTION_F1 = 0.9;
export const DEFAULT_MIN_OUTPUT_COSINE = 0.99;

/** The fidelity figure select uses for a variant: detection F1 when decoded, else the worst output cosine. */
export function fidelityMeasure(variant: VariantResult): { metric: 'detection F1' | 'output cosine'; value: number } | undefined {
  const f = variant.fidelity;
  if (!f) return undefined;
  if (f.detectionF1 !== undefined) return { metric: 'detection F1', value: f.detectionF1 };
  return Number.isFinite(f.cosine) ? { metric: 'output cosine', value: f.cosine } : undefined;
}

interface Candidate {
  variant: VariantResult;
  stats?: BenchStats;
}

const fmt = (x: number, digits = 1) => x.toFixed(digits);
const mb = (bytes: number) => bytes / 1e6;

/** Whether the measured CPU has FP16 arithmetic; decides how a slow FP16 variant is explained. */
function hasFp16Arithmetic(flags: readonly string[]): boolean {
  return flags.some((f) => ['avx512_fp16', 'fphp', 'asimdhp', 'amx_fp16'].includes(f));
}

/**
 * Picks the fastest variant that meets the constraints in the chosen scenario and explains every
 * decision in numbers. Pure: it reads a results record and returns a verdict.
 */
export function selectVariant(
  results: RunResults,
  constraints: SelectionConstraints = {},
  scenario: SelectScenario = 'controlled',
): SelectionResult {
  const baseline = results.variants.find((v) => v.name === 'fp32') ?? results.variants[0];
  if (!baseline) throw new EdgeoptError('results contain no variants to select from');
  const baseStats = baseline.benchmarks[scenario];
  if (!baseStats) throw new EdgeoptError(`the FP32 baseline has no '${scenario}' benchmark; run edgeopt run with that scenario`);
  const baseMap = results.accuracyCheck?.fits === false ? undefined : baseline.accuracy?.map50_95;
  const accuracyMeasured = baseMap !== undefined;
  const maxMapDrop = constraints.maxMapDrop ?? (accuracyMeasured ? DEFAULT_MAX_MAP_DROP : undefined);
  // Without accuracy, fidelity vs FP32 decides (with a default floor); with it, fidelity is a second check when asked for.
  // (Results with no fidelity at all, e.g. from before it was measured, fall back to a latency-only choice, said as such.)
  const byFidelity = !accuracyMeasured && constraints.maxMapDrop === undefined && results.variants.some((v) => fidelityMeasure(v) !== undefined);
  const fidelityFloor = (metric: 'detection F1' | 'output cosine') =>
    constraints.minFidelity ?? (byFidelity ? (metric === 'detection F1' ? DEFAULT_MIN_DETECTION_F1 : DEFAULT_MIN_OUTPUT_COSINE) : undefined);
  const effective: SelectionConstraints = { ...constraints, maxMapDrop };
  const fp16Capable = hasFp16Arithmetic(results.environment.isa.flags);

  const reasons: SelectionResult['reasons'] = [];
  const accepted: Candidate[] = [];
  for (const variant of results.variants) {
    const stats = variant.benchmarks[scenario];
    if (!stats) {
      reasons.push({ variant: variant.name, accepted: false, text: `${variant.name} rejected: no ${scenario} benchmark (${variant.errors[0] ?? 'not measured'})` });
      continue;
    }
    const problems: string[] = [];
    const facts: string[] = [variant === baseline ? 'the FP32 baseline' : speedRatioPhrase(stats.p50Ms, baseStats.p50Ms, 'FP32'), `p50 ${fmt(stats.p50Ms)} ms`, `${fmt(mb(variant.sizeBytes), 1)} MB`];
    if (constraints.maxLatencyMs !== undefined && stats.p50Ms > constraints.maxLatencyMs) {
      problems.push(`p50 ${fmt(stats.p50Ms)} ms exceeds ${constraints.maxLatencyMs} ms`);
    }
    if (constraints.maxSizeMb !== undefined && mb(variant.sizeBytes) > constraints.maxSizeMb) {
      problems.push(`${fmt(mb(variant.sizeBytes), 2)} MB exceeds ${constraints.maxSizeMb} MB`);
    }
    if (accuracyMeasured && variant.accuracy && variant !== baseline) {
      const drop = (baseMap! - variant.accuracy.map50_95) * 100;
      facts.push(`${drop >= 0 ? '−' : '+'}${fmt(Math.abs(drop), 2)} mAP50-95`);
      if (maxMapDrop !== undefined && drop > maxMapDrop) problems.push(`loses ${fmt(drop, 2)} mAP50-95 points (limit ${maxMapDrop})`);
    } else if (variant !== baseline && maxMapDrop !== undefined) {
      problems.push('accuracy not measured');
    }
    if (variant !== baseline) {
      const fidelity = fidelityMeasure(variant);
      const floor = fidelity ? fidelityFloor(fidelity.metric) : byFidelity || constraints.minFidelity !== undefined ? 1 : undefined;
      if (fidelity) facts.push(`${fidelity.metric} ${fidelity.value.toFixed(fidelity.metric === 'output cosine' ? 4 : 3)} vs FP32`);
      if (floor !== undefined) {
        if (!fidelity) problems.push('fidelity vs FP32 not measured');
        else if (fidelity.value < floor) problems.push(`${fidelity.metric} ${fidelity.value.toFixed(3)} is below ${floor}`);
      }
    }
    if (variant.name.startsWith('fp16') && stats.p50Ms > baseStats.p50Ms * 1.03) {
      facts.push(fp16Capable ? 'FP16 kernels did not pay off here' : 'no FP16 arithmetic on this CPU, so onnxruntime computes through casts');
    }
    if (problems.length > 0) {
      reasons.push({ variant: variant.name, accepted: false, text: `${variant.name} rejected: ${problems.join('; ')} (${facts.join(', ')})` });
    } else {
      accepted.push({ variant, stats });
      reasons.push({ variant: variant.name, accepted: true, text: `${variant.name}: ${facts.join(', ')}` });
    }
  }
  accepted.sort((a, b) => a.stats!.p50Ms - b.stats!.p50Ms);
  const best = accepted[0];
  const summary = best
    ? `${best.variant.name} is the best variant for this machine (${scenario}): ${reasons.find((r) => r.variant === best.variant.name)!.text.replace(`${best.variant.name}: `, '')}`
    : `no variant meets the constraints in the ${scenario} scenario`;
  const chosenFidelity = best ? fidelityMeasure(best.variant) : undefined;
  const why = results.accuracyCheck?.fits === false ? `accuracy was not measured (contract mismatch: ${results.accuracyCheck.reason})` : 'accuracy was not measured';
  const caveat =
    !best || accuracyMeasured || best.variant === baseline
      ? ''
      : chosenFidelity && byFidelity
        ? `; ${why}, so this choice rests on fidelity vs FP32 (${chosenFidelity.metric} ≥ ${fidelityFloor(chosenFidelity.metric)}) and latency: check it on labelled data before shipping`
        : `; ${why}, so this is a latency-only choice: check it with --eval before shipping`;
  // Losers that met the constraints are listed after the winner with the reason they lost: speed.
  const ordered = [
    ...reasons.filter((r) => r.variant === best?.variant.name),
    ...reasons.filter((r) => r.accepted && r.variant !== best?.variant.name).map((r) => ({ ...r, text: `${r.text} — slower than ${best!.variant.name}` })),
    ...reasons.filter((r) => !r.accepted),
  ];
  return { scenario, constraints: effective, chosen: best?.variant.name, reasons: ordered, summary: summary + caveat };
}
