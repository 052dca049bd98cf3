import type { GraphProto } from '../../onnx/types.js';
import { boundaryElements, type UnitGraph } from './units.js';

/**
 * A latency model learned on this device from onnxruntime profiles of a few probe models, not assumed:
 *
 *   predicted(config) = Σ_units cost(unit, its precision) + fixed + a · elements(float→int8) + b · elements(int8→float)
 *
 * - cost(unit, float) comes from the profile of the float model, cost(unit, int8) from the all-int8 probe: each
 *   kernel of the graph onnxruntime ran is attributed back to the node it came from (fused kernels keep the name of
 *   the node they replace; `_token_N`, `_nchwc` and `/QuickGeluFusion/` suffixes are onnxruntime's renames);
 * - the boundary costs a and b (per element: the QuantizeLinear, DequantizeLinear and layout Transposes a precision
 *   change adds) are fitted by least squares to the probes with many boundaries (every other unit float);
 * - `fixed` is what belongs to no unit (head decoding, layout changes at the ends).
 * Kernel times are a low quantile over the profiled runs (see the profile callback): preemption on a shared
 * machine only ever adds time, so the fast runs are the ones that show a kernel's own cost.
 */
export interface ProfiledKernel {
  /** Node name in the graph onnxruntime ran. */
  name: string;
  opType: string;
  ms: number;
}

export interface ProbeProfile {
  label: string;
  /** Units run in int8 in this probe. */
  int8: number[];
  kernels: ProfiledKernel[];
}

export interface LatencyModel {
  floatCost: number[];
  int8Cost: number[];
  fixedMs: number;
  /** ms per element at a float→int8 boundary and at an int8→float boundary. */
  perElement: { toInt8: number; toFloat: number };
  /** Probe-by-probe prediction against the profile's own total, for the report. */
  fit: Array<{ label: string; predictedMs: number; profiledMs: number }>;
}

const BOUNDARY_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'Transpose', 'ReorderInput', 'ReorderOutput', 'DynamicQuantizeLinear']);

/** Node name of the original graph a kernel belongs to, or undefined (a boundary or layout kernel, or unknown). */
export function attributeKernel(kernel: ProfiledKernel, names: ReadonlySet<string>, producerOf: ReadonlyMap<string, string>): string | undefined {
  let name = kernel.name;
  if (names.has(name)) return name;
  name = name.replace(/\/QuickGeluFusion\/$/, '');
  if (names.has(name)) return name;
  while (/_token_\d+$/.test(name)) {
    name = name.replace(/_token_\d+$/, '');
    if (names.has(name)) return name;
  }
  if (name.endsWith('_nchwc')) {
    const producer = producerOf.get(name.slice(0, -'_nchwc'.length));
    if (producer) return producer;
  }
  return undefined;
}

interface Split {
  unitMs: Map<number, number>;
  boundaryMs: number;
  otherMs: number;
  totalMs: number;
}

function splitProfile(profile: ProbeProfile, graph: GraphProto, units: UnitGraph): Split {
  const names = new Set(graph.node.map((n) => n.name ?? ''));
  const producerOf = new Map<string, string>();
  for (const n of graph.node) for (const o of n.output) producerOf.set(o, n.name ?? '');
  const unitMs = new Map<number, number>();
  let boundaryMs = 0;
  let otherMs = 0;
  let totalMs = 0;
  for (const k of profile.kernels) {
    totalMs += k.ms;
    const node = attributeKernel(k, names, producerOf);
    const unit = node !== undefined ? units.unitOf.get(node) : undefined;
    if (unit !== undefined && !BOUNDARY_OPS.has(k.opType)) unitMs.set(unit, (unitMs.get(unit) ?? 0) + k.ms);
    else if (BOUNDARY_OPS.has(k.opType)) boundaryMs += k.ms;
    else otherMs += k.ms;
  }
  return { unitMs, boundaryMs, otherMs, totalMs };
}

/**
 * Fits the model from a float probe, an all-int8 probe and one or more mixed probes (all on the same rewritten graph).
 */
export function fitLatencyModel(graph: GraphProto, units: UnitGraph, probes: { float: ProbeProfile; int8: ProbeProfile; mixed: ProbeProfile[] }): LatencyModel {
  const f = splitProfile(probes.float, graph, units);
  const q = splitProfile(probes.int8, graph, units);
  const n = units.units.length;
  const floatCost = Array.from({ length: n }, (_, u) => f.unitMs.get(u) ?? 0);
  const int8Cost = Array.from({ length: n }, (_, u) => q.unitMs.get(u) ?? 0);
  // Mixed probes also measure half the units in each precision: average them in where they have a kernel.
  const mixed = probes.mixed.map((p) => ({ probe: p, split: splitProfile(p, graph, units) }));
  for (const { probe, split } of mixed) {
    const int8 = new Set(probe.int8);
    for (const [u, ms] of split.unitMs) {
      if (int8.has(u)) int8Cost[u] = (int8Cost[u]! + ms) / 2;
      else floatCost[u] = (floatCost[u]! + ms) / 2;
    }
  }
  // Boundary cost per element: least squares through the origin over every probe with boundaries.
  const rows = [{ probe: probes.int8, split: q }, ...mixed].map(({ probe, split }) => {
    const e = boundaryElements(units, new Set(probe.int8));
    return { x1: e.toInt8, x2: e.toFloat, y: split.boundaryMs };
  });
  const [toInt8, toFloat] = leastSquares2(rows);
  const fixedMs = (q.otherMs + mixed.reduce((s, m) => s + m.split.otherMs, 0)) / (1 + mixed.length);
  const model: LatencyModel = { floatCost, int8Cost, fixedMs, perElement: { toInt8, toFloat }, fit: [] };
  const withFloat = [{ probe: probes.float, split: f }, { probe: probes.int8, split: q }, ...mixed];
  model.fit = withFloat.map(({ probe, split }) => ({ label: probe.label, predictedMs: predictLatency(model, units, new Set(probe.int8)), profiledMs: split.totalMs }));
  return model;
}

/** Least squares y ≈ a·x1 + b·x2 with a, b ≥ 0 (a boundary never saves time). */
function leastSquares2(rows: Array<{ x1: number; x2: number; y: number }>): [number, number] {
  let s11 = 0;
  let s12 = 0;
  let s22 = 0;
  let s1y = 0;
  let s2y = 0;
  for (const r of rows) {
    s11 += r.x1 * r.x1;
    s12 += r.x1 * r.x2;
    s22 += r.x2 * r.x2;
    s1y += r.x1 * r.y;
    s2y += r.x2 * r.y;
  }
  const det = s11 * s22 - s12 * s12;
  let a = det !== 0 ? (s1y * s22 - s2y * s12) / det : 0;
  let b = det !== 0 ? (s2y * s11 - s1y * s12) / det : 0;
  if (a < 0 || b < 0 || det === 0) {
    // One coefficient alone: the same per-element cost both ways.
    const x = s11 + 2 * s12 + s22;
    const c = x > 0 ? Math.max(0, (s1y + s2y) / x) : 0;
    a = b = c;
  }
  return [a, b];
}

export function predictLatency(model: LatencyModel, units: UnitGraph, int8: ReadonlySet<number>): number {
  let ms = model.fixedMs;
  for (let u = 0; u < model.floatCost.length; u++) ms += int8.has(u) ? model.int8Cost[u]! : model.floatCost[u]!;
  const e = boundaryElements(units, int8);
  return ms + model.perElement.toInt8 * e.toInt8 + model.perElement.toFloat * e.toFloat;
}

/**
 * The configuration with the lowest predicted latency, by local search from all-int8: flip the unit whose flip
 * saves the most, until no flip saves anything. (Boundaries couple neighbours, so one pass over the units is
 * not enough; the loop is bounded by twice the number of units.)
 */
export function fastestConfiguration(model: LatencyModel, units: UnitGraph, start?: ReadonlySet<number>): Set<number> {
  const config = new Set(start ?? units.units.map((u) => u.id));
  let current = predictLatency(model, units, config);
  for (let step = 0; step < 2 * units.units.length; step++) {
    let best: { unit: number; ms: number } | undefined;
    for (const u of units.units) {
      const had = config.has(u.id);
      if (had) config.delete(u.id);
      else config.add(u.id);
      const ms = predictLatency(model, units, config);
      if (had) config.add(u.id);
      else config.delete(u.id);
      if (ms < current - 1e-6 && (!best || ms < best.ms)) best = { unit: u.id, ms };
    }
    if (!best) break;
    if (config.has(best.unit)) config.delete(best.unit);
    else config.add(best.unit);
    current = best.ms;
  }
  return config;
}

/** Predicted ms a unit costs more in float than in int8 within `config` (boundaries included); ≥ 0 means int8 pays. */
export function floatPenalty(model: LatencyModel, units: UnitGraph, config: ReadonlySet<number>, unit: number): number {
  const without = new Set(config);
  without.delete(unit);
  return predictLatency(model, units, without) - predictLatency(model, units, config);
}
