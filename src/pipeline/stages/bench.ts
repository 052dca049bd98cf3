/**
 * Stages 5 and 6, measure latency: every built variant benchmarked side by side in isolated child processes
 * (rotated rounds), the controlled figure checked for plausibility against its MACs; then one per-operator
 * profile per variant (what explains the numbers).
 */
import { join } from 'node:path';
import { benchmarkModels, type BenchResult } from '../../bench/benchmark.js';
import { checkRunPlausibility, inferPrecision } from '../../bench/plausibility.js';
import { providerFallbackWarnings } from '../../bench/fallback.js';
import { profileModel } from '../../diagnose/index.js';
import type { VariantResult } from '../../results/schema.js';
import type { RunState } from '../state.js';

export async function benchmarkVariants(state: RunState): Promise<void> {
  const { settings, built, progress } = state;
  const pathOf = (v: VariantResult) => join(settings.outDir, v.path);
  state.stepLine(`benchmarking ${built.length} variants (${settings.scenarios.join(', ')}) in isolated processes`);
  const benches = await benchmarkModels(built.map(pathOf), {
    scenarios: settings.scenarios,
    runs: settings.runs,
    warmup: settings.warmup,
    rounds: settings.rounds,
    timeoutMs: settings.timeoutMs,
    providers: settings.providers,
    onProgress: (e) => progress.tick(`bench ${e.scenario}`, e.done, e.planned),
  });
  // The children ran the sessions: their provenance says where, and a fallback is never silent.
  const uses = benches.flatMap((b) => (b.provenance.run ? [{ label: built.find((v) => pathOf(v) === b.model)?.name ?? b.model, ...b.provenance.run }] : []));
  for (const line of providerFallbackWarnings(uses)) progress.warn(line);
  for (const v of built) {
    attachBenchmarks(v, benches.filter((b) => b.model === pathOf(v)), state);
    const controlled = benches.find((b) => b.model === pathOf(v) && b.scenario === 'controlled');
    const check = controlled && checkRunPlausibility(controlled, v.analysis.macs, inferPrecision(Object.keys(v.analysis.opCounts)));
    if (check) v.plausibility = { gmacPerS: check.gmacPerSecond, plausible: check.plausible, note: check.reason || undefined };
  }
  await state.writer.save();
}

function attachBenchmarks(v: VariantResult, mine: BenchResult[], state: RunState): void {
  for (const b of mine) {
    if (b.error) state.fail(`benchmark ${b.scenario}${b.scenario === 'sweep' ? ` ${b.threads} threads` : ''}`, b.error, v);
    if (!b.stats) continue;
    if (b.scenario === 'controlled') v.benchmarks.controlled = b.stats;
    else if (b.scenario === 'practical') {
      v.benchmarks.practical = b.stats;
      v.benchmarks.practicalThreads = b.threads;
    } else (v.benchmarks.sweep ??= []).push({ threads: b.threads, stats: b.stats });
  }
}

export async function profileVariants(state: RunState): Promise<void> {
  const { settings } = state;
  state.stepLine('profiling every variant per operator (onnxruntime profiler)');
  for (const variant of state.built) {
    state.checkAbort();
    try {
      const profile = await profileModel(join(settings.outDir, variant.path), { scenario: 'controlled', runs: settings.profileRuns, timeoutMs: settings.timeoutMs, providers: settings.providers });
      state.profiles.set(variant.name, profile);
      for (const line of providerFallbackWarnings([{ label: variant.name, ...profile }])) state.progress.warn(line);
      variant.profile = {
        scenario: profile.scenario,
        totalMs: profile.kernelMs,
        opTypes: profile.opTypes.map((o) => ({ opType: o.opType, ms: o.msPerRun, share: o.share, count: o.count })),
      };
    } catch (err) {
      state.fail('profile', err, variant);
    }
  }
}
