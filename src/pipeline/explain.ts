import { findings as profileFindings, type Profile } from '../diagnose/index.js';
import type { RunResults } from '../results/schema.js';
import { searchVerdictSentence } from './search-variant.js';

/**
 * Findings derived from the numbers: profiles against FP32, plus size and accuracy facts.
 * `headlines` has one line per variant (the profile's verdict), for the terminal summary.
 */
export function explain(results: RunResults, profiles: Map<string, Profile>): { findings: string[]; headlines: string[] } {
  const out: string[] = [];
  const headlines: string[] = [];
  const fp32 = results.variants.find((v) => v.name === 'fp32');
  const baseProfile = profiles.get('fp32');
  for (const v of results.variants) {
    if (v.name === 'fp32' || !fp32) continue;
    const latency = v.benchmarks.controlled && fp32.benchmarks.controlled ? { variant: v.benchmarks.controlled.p50Ms, baseline: fp32.benchmarks.controlled.p50Ms } : undefined;
    const profile = profiles.get(v.name);
    if (profile && baseProfile) {
      const lines = profileFindings({ variant: profile, baseline: baseProfile, variantLabel: v.name, baselineLabel: 'FP32', latencyMs: latency });
      if (lines[0]) headlines.push(lines[0]);
      out.push(...lines);
    }
    if (v.sizeBytes > 0 && fp32.sizeBytes > 0) {
      const acc = v.accuracy && fp32.accuracy ? `, mAP50-95 ${(v.accuracy.map50_95 * 100).toFixed(2)} vs ${(fp32.accuracy.map50_95 * 100).toFixed(2)}` : '';
      out.push(`${v.name} is ${(fp32.sizeBytes / v.sizeBytes).toFixed(2)}x smaller than FP32 (${(v.sizeBytes / 1e6).toFixed(2)} MB vs ${(fp32.sizeBytes / 1e6).toFixed(2)} MB)${acc}.`);
    }
  }
  for (const v of results.variants) {
    if (v.plausibility && !v.plausibility.plausible) {
      out.push(`${v.name}: implausible timing — ${v.plausibility.note}`);
      headlines.push(out[out.length - 1]!);
    }
    const s = v.benchmarks.controlled;
    if (s?.capHit) out.push(`${v.name}: the controlled median did not settle to ±${(s.targetCiRel * 100).toFixed(0)}% within ${s.runs} runs (CV ${(s.cv * 100).toFixed(1)}%); the machine was noisy.`);
  }
  if (results.search) {
    // The search's verdict is a finding either way (the terminal summary has its own line for it).
    const line = searchVerdictSentence(results.search);
    out.push(`${line[0]!.toUpperCase()}${line.slice(1)}.`);
  }
  return { findings: out, headlines };
}
