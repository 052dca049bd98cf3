/** The text `edgeopt diagnose` prints: a profile per model, the op-by-op comparison, the findings. */
import { basename } from 'node:path';
import { qualifiedOpType } from './census.js';
import type { OpComparison } from './compare.js';
import type { Profile } from './profile.js';

const ms = (v: number) => v.toFixed(2);

export function formatProfile(p: Profile): string {
  const lines = [
    `${p.model} (${p.scenario}, ${p.threads} thread${p.threads === 1 ? '' : 's'}, ${p.runs} profiled runs after ${p.warmup} warm-up): ${ms(p.runMs)} ms/run, kernels ${ms(p.kernelMs)} ms`,
    '',
    '  op type                     count   ms/run   share',
    ...p.opTypes.slice(0, 15).map((o) => `  ${o.opType.padEnd(26)} ${String(o.count).padStart(6)} ${ms(o.msPerRun).padStart(8)} ${`${(o.share * 100).toFixed(1)}%`.padStart(7)}`),
    '',
    '  slowest nodes',
    ...p.topNodes.map((n) => `  ${ms(n.msPerRun).padStart(8)} ms ${`${(n.share * 100).toFixed(1)}%`.padStart(6)}  ${n.opType.padEnd(16)} ${n.name}`),
    '',
    `  optimized graph: ${p.optimizedGraph.nodeCount} nodes (model: ${p.graph.nodeCount}); changed op counts: ` +
      (p.graphChanges.map((c) => `${qualifiedOpType(c.opType, c.domain)} ${c.before}→${c.after}`).join(', ') || 'none'),
  ];
  return `${lines.join('\n')}\n`;
}

export function formatComparison(c: OpComparison): string {
  const lines = [
    `op by op: ${basename(c.variant.model)} vs ${basename(c.baseline.model)} (${ms(c.variant.runMs)} vs ${ms(c.baseline.runMs)} ms/run profiled, ratio ${c.ratio.toFixed(2)})`,
    '  op type                    variant (n, ms)   baseline (n, ms)   delta ms',
    ...c.ops
      .slice(0, 15)
      .map(
        (o) =>
          `  ${o.opType.padEnd(26)} ${String(o.variantCount).padStart(5)} ${ms(o.variantMs).padStart(8)}    ${String(o.baselineCount).padStart(5)} ${ms(o.baselineMs).padStart(8)}   ${`${o.deltaMs >= 0 ? '+' : ''}${ms(o.deltaMs)}`.padStart(8)}`,
      ),
  ];
  return `${lines.join('\n')}\n`;
}

/** The whole report: the profile, the baseline's and the comparison when there is one, then the findings. */
export function formatDiagnosis(profile: Profile, baseline: Profile | undefined, comparison: OpComparison | undefined, findings: readonly string[]): string {
  let out = formatProfile(profile);
  if (baseline && comparison) out += `\n${formatProfile(baseline)}\n${formatComparison(comparison)}`;
  return `${out}\nfindings:\n${findings.map((t) => `- ${t}`).join('\n')}\n`;
}
