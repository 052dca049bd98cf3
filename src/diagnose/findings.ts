import { basename } from 'node:path';
import { qualifiedOpType } from './census.js';
import { compareProfiles, type OpComparison, type OpDelta } from './compare.js';
import type { Profile } from './profile.js';
import { formatRatio, speedRatioPhrase } from '../util/speed.js';

/**
 * Plain-language findings computed from profiles: every number and op name in the text comes from
 * the measurements, so the sentence changes when the hardware or the model does. Pure.
 */
export interface FindingsInput {
  variant: Profile;
  baseline?: Profile;
  comparison?: OpComparison;
  /** Display names (default: file names without .onnx). */
  variantLabel?: string;
  baselineLabel?: string;
  /**
   * Benchmark medians (ms) to state the overall speed ratio with; without them the profiled run
   * times are used (profiling adds overhead to both, so the ratio is still fair but less exact).
   */
  latencyMs?: { variant: number; baseline: number };
}

/** Op families whose members replace one another in a quantized or fused model. */
const COMPUTE_FAMILIES: Array<{ name: string; ops: string[] }> = [
  { name: 'convolution', ops: ['Conv', 'FusedConv', 'ConvInteger', 'QLinearConv', 'NhwcConv', 'NhwcFusedConv', 'ConvTranspose', 'QLinearConvTranspose'] },
  {
    name: 'matrix multiplication',
    ops: ['MatMul', 'Gemm', 'FusedMatMul', 'FusedGemm', 'MatMulInteger', 'QLinearMatMul', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'MatMulNBits'],
  },
];
const INTEGER_OPS = new Set(['ConvInteger', 'QLinearConv', 'MatMulInteger', 'QLinearMatMul', 'MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'QLinearConvTranspose']);

const label = (path: string) => basename(path).replace(/\.onnx$/i, '');
const ms = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number) => `${Math.round(v * 100)}%`;

function familyOf(opType: string) {
  return COMPUTE_FAMILIES.find((f) => f.ops.includes(opType));
}

function listOps(ops: OpDelta[], side: 'variant' | 'baseline'): string {
  return ops
    .filter((o) => (side === 'variant' ? o.variantCount : o.baselineCount) > 0)
    .map((o) => `${side === 'variant' ? o.variantCount : o.baselineCount} ${o.opType}`)
    .join(' + ');
}

/** The headline: overall speed, the compute kernels against the ones they replaced, and the added ops. */
function comparisonFinding(input: FindingsInput, comparison: OpComparison): string {
  const vLabel = input.variantLabel ?? label(comparison.variant.model);
  const bLabel = input.baselineLabel ?? label(comparison.baseline.model);
  const vMs = input.latencyMs?.variant ?? comparison.variant.runMs;
  const bMs = input.latencyMs?.baseline ?? comparison.baseline.runMs;
  const speed = `${vLabel} is ${speedRatioPhrase(vMs, bMs, bLabel)} (${ms(vMs)} vs ${ms(bMs)} ms)`;
  const parts: string[] = [];
  for (const family of COMPUTE_FAMILIES) {
    const members = comparison.ops.filter((o) => family.ops.includes(o.opType));
    const vFamily = members.reduce((s, o) => s + o.variantMs, 0);
    const bFamily = members.reduce((s, o) => s + o.baselineMs, 0);
    if (vFamily <= 0 || bFamily <= 0) continue;
    const vShare = vFamily / comparison.variant.kernelMs;
    const integer = members.some((o) => o.variantCount > 0 && INTEGER_OPS.has(o.opType));
    const speedup = bFamily / vFamily;
    const kind = integer ? 'integer' : family.name;
    const verdict =
      speedup < 0.95
        ? `${formatRatio(1 / speedup)} slower than the kernels they replace on this CPU`
        : speedup < 1.1
          ? `no ${kind} speedup on this CPU`
          : `${formatRatio(speedup)} faster than in ${bLabel}`;
    parts.push(
      `${listOps(members, 'variant')} kernels take ${ms(vFamily)} ms (${pct(vShare)}) vs ${ms(bFamily)} ms for ${listOps(members, 'baseline')} in ${bLabel} — ${verdict}`,
    );
  }
  // Ops the variant added or runs many more of (quantize/dequantize, casts, rescaling Mul/Add).
  const threshold = Math.max(0.1, 0.01 * comparison.variant.kernelMs);
  const added = comparison.ops
    .filter((o) => !familyOf(o.opType) && o.variantCount > o.baselineCount && o.deltaMs > threshold)
    // Op types the baseline does not have at all (quantize, cast) first, then those it has fewer of.
    .sort((a, b) => Number(a.baselineCount > 0) - Number(b.baselineCount > 0) || b.deltaMs - a.deltaMs);
  if (added.length > 0) {
    const addedMs = added.reduce((s, o) => s + o.deltaMs, 0);
    parts.push(`${added.map((o) => `${o.variantCount} ${o.opType}`).join(' + ')} add ${ms(addedMs)} ms`);
  }
  const removed = comparison.ops
    .filter((o) => !familyOf(o.opType) && o.variantCount < o.baselineCount && -o.deltaMs > threshold)
    .sort((a, b) => a.deltaMs - b.deltaMs);
  if (removed.length > 0) {
    const savedMs = removed.reduce((s, o) => s - o.deltaMs, 0);
    parts.push(`fewer ${removed.map((o) => o.opType).join(' + ')} save ${ms(savedMs)} ms`);
  }
  return parts.length ? `${speed}: ${parts.join('; ')}` : speed;
}

/** Where one profile's time goes. */
function profileFinding(profile: Profile, name: string): string {
  const top = profile.opTypes[0];
  if (!top) return `${name}: the profile recorded no kernels`;
  const second = profile.opTypes[1];
  const node = profile.topNodes[0];
  let text = `${name}: ${top.count} ${top.opType} kernels take ${ms(top.msPerRun)} ms of ${ms(profile.kernelMs)} ms per run (${pct(top.share)})`;
  if (second) text += `, then ${second.count} ${second.opType} ${ms(second.msPerRun)} ms (${pct(second.share)})`;
  if (node) text += `; the slowest node is ${node.name} (${node.opType}, ${ms(node.msPerRun)} ms)`;
  return text;
}

/** What onnxruntime rewrote, named where the pattern is recognisable. */
function graphFinding(profile: Profile, name: string): string | undefined {
  const changes = profile.graphChanges;
  if (changes.length === 0) return undefined;
  const gained = (op: string, domain?: string) =>
    changes.filter((c) => c.opType === op && (domain === undefined || c.domain === domain)).reduce((s, c) => s + Math.max(0, c.after - c.before), 0);
  const notes: string[] = [];
  const quickGelu = gained('QuickGelu');
  if (quickGelu > 0) notes.push(`${quickGelu} SiLU (Sigmoid+Mul) fused into QuickGelu`);
  const fusedConv = gained('FusedConv');
  if (fusedConv > 0) notes.push(`${fusedConv} Conv+activation fused into FusedConv`);
  const qlinear = gained('QLinearConv') + gained('QLinearMatMul');
  if (qlinear > 0) notes.push(`${qlinear} QuantizeLinear/DequantizeLinear groups fused into QLinear kernels`);
  const nchwc = gained('Conv', 'com.microsoft.nchwc');
  if (nchwc > 0) notes.push(`${nchwc} Conv run in the NCHWc blocked layout`);
  const other = changes
    .slice(0, 8)
    .map((c) => `${qualifiedOpType(c.opType, c.domain)} ${c.before}→${c.after}`)
    .join(', ');
  return `${name}: onnxruntime's optimized graph has ${profile.optimizedGraph.nodeCount} nodes (from ${profile.graph.nodeCount})${notes.length ? `: ${notes.join('; ')}` : ''} (${other})`;
}

export function findings(input: FindingsInput): string[] {
  const vLabel = input.variantLabel ?? label(input.variant.model);
  const out: string[] = [];
  const comparison = input.comparison ?? (input.baseline ? compareProfiles(input.variant, input.baseline) : undefined);
  if (comparison) out.push(comparisonFinding(input, comparison));
  out.push(profileFinding(input.variant, vLabel));
  const graph = graphFinding(input.variant, vLabel);
  if (graph) out.push(graph);
  return out;
}
