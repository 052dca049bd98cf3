import type { Profile } from './profile.js';

/**
 * Op-by-op comparison of two profiles (a variant against its baseline, usually FP32). Pure.
 */
export interface OpDelta {
  opType: string;
  variantMs: number;
  baselineMs: number;
  /** variantMs - baselineMs (positive: the variant spends more time here). */
  deltaMs: number;
  variantCount: number;
  baselineCount: number;
  variantShare: number;
  baselineShare: number;
}

export interface ProfileSummary {
  model: string;
  runMs: number;
  kernelMs: number;
}

export interface OpComparison {
  variant: ProfileSummary;
  baseline: ProfileSummary;
  /** variant.runMs / baseline.runMs under the profiler (> 1: the variant is slower). */
  ratio: number;
  /** Every op type of either profile, largest combined time first. */
  ops: OpDelta[];
}

const summary = (p: Profile): ProfileSummary => ({ model: p.model, runMs: p.runMs, kernelMs: p.kernelMs });

export function compareProfiles(variant: Profile, baseline: Profile): OpComparison {
  const opTypes = new Set([...variant.opTypes, ...baseline.opTypes].map((o) => o.opType));
  const ops: OpDelta[] = [...opTypes].map((opType) => {
    const v = variant.opTypes.find((o) => o.opType === opType);
    const b = baseline.opTypes.find((o) => o.opType === opType);
    return {
      opType,
      variantMs: v?.msPerRun ?? 0,
      baselineMs: b?.msPerRun ?? 0,
      deltaMs: (v?.msPerRun ?? 0) - (b?.msPerRun ?? 0),
      variantCount: v?.count ?? 0,
      baselineCount: b?.count ?? 0,
      variantShare: v?.share ?? 0,
      baselineShare: b?.share ?? 0,
    };
  });
  ops.sort((x, y) => y.variantMs + y.baselineMs - (x.variantMs + x.baselineMs));
  return { variant: summary(variant), baseline: summary(baseline), ratio: variant.runMs / baseline.runMs, ops };
}
