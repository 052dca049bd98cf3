import type { LoadedModel } from '../../onnx/types.js';
import { optimizeGraph } from '../../optimize/index.js';
import { DEFAULT_REWRITE_NAMES, REWRITE_NAMES } from '../../optimize/rewrites/names.js';
import { EdgeoptError } from '../../util/errors.js';
import { silentProgress, type Progress } from '../../util/progress.js';
import { calibrate, type CalibrationData, type CalibrationSource } from '../calibrate/index.js';
import type { CalibrationMethod } from '../calibrate/methods.js';
import type { QuantType } from '../math.js';
import { applyRewrites, recipeFromResult, staticOptionsFor, type QuantizationRecipe, type RecipeChoice, type RecipeFloatNode } from '../recipe.js';
import { STATIC_MODE_DEFAULTS } from '../static/defaults.js';
import { calibrateStatic, planStaticQuantization, quantizeStatic, type StaticQuantizeResult } from '../static/index.js';
import { fastestConfiguration, fitLatencyModel, floatPenalty, predictLatency, type LatencyModel, type ProfiledKernel } from './latency-model.js';
import { buildUnits, floatNodesOf, type UnitGraph } from './units.js';

/**
 * The latency- and accuracy-aware INT8 search (`quantize --mode auto`). Measurements of later stages (profiles,
 * the isolated benchmark harness, fidelity and paired mAP) come in as callbacks, so this stage imports none of them.
 *
 * 1. exact rewrites; one calibration pass over every tensor any candidate could quantize;
 * 2. latency model from profiles of probe models (float, all-int8, two mixed) → the configuration predicted fastest;
 * 3. accuracy recovery on it, steered by fidelity on a fixed image subset disjoint from calibration: SiLU-aware
 *    ranges, bias correction, own scales for the Concats whose shared scale costs fidelity, then float fallback
 *    ranked by harm per millisecond, per-tensor calibration methods;
 * 4. the best candidates verified end to end in the benchmark harness against FP32 (with them the best configuration
 *    on the graph of each optional rewrite that matches, such as the SpaceToDepth stem), then paired mAP;
 * 5. the fastest verified candidate within the accuracy budget wins (faster than FP32 at 1 thread, and not slower
 *    in the practical scenario when it was measured) — or none does, and the search says why.
 */
export interface FidelityScore {
  /**
   * Higher is better, in dB: the steering figure. Detection agreement as −10·log10(1 − F1) when `detectionF1` is
   * measured, else the channel-normalised output SQNR.
   */
  score: number;
  /** Channel-normalised output SQNR against FP32 (dB): what a candidate is accepted on without eval data. */
  channelSqnrDb?: number;
  sqnrDb: number | null;
  /** F1 of the candidate's detections against FP32's averaged over IoU 0.5:0.95, when a decoder fits. */
  detectionF1?: number;
}

export interface PairedAccuracy {
  fp32Map: number;
  map: number;
  /** FP32 − candidate, mAP50-95 points (positive = worse). */
  drop: number;
  /** 95% bootstrap interval of the drop over images. */
  ci: [number, number];
  images: number;
}

export interface SearchMeasurements {
  /** Kernel times of a model (controlled scenario, isolated process), a low quantile over runs. */
  profile(model: LoadedModel, label: string): Promise<ProfiledKernel[]>;
  /** Interleaved end-to-end latency: the FP32 original first, then the candidates; p50 ms at 1 thread (and practical). */
  benchmark(candidates: Array<{ label: string; model: LoadedModel }>): Promise<{ fp32: LatencyFigures; candidates: LatencyFigures[] }>;
  fidelity(model: LoadedModel): Promise<FidelityScore>;
  /** What the fidelity figure steers on, in words (and why not detection agreement, when it is not). */
  steering?: string;
  accuracy?(model: LoadedModel): Promise<PairedAccuracy>;
}

export interface LatencyFigures {
  p50Ms: number;
  practicalP50Ms?: number;
  practicalThreads?: number;
}

export interface SearchOptions {
  /** The model's name for the recipe. */
  name: string;
  calibration: CalibrationSource;
  measure: SearchMeasurements;
  /** Largest acceptable mAP50-95 drop in points (paired, against FP32); default 0.3. */
  maxDrop?: number;
  /** Without an accuracy measurement: the lowest steering SQNR (dB) accepted (default 25). */
  minSqnrDb?: number;
  /** Time budget; the search stops starting new work past it and finishes with what it has. */
  budgetMs?: number;
  signal?: AbortSignal;
  progress?: Progress;
  /** Clock (injected so that a test can run the budget logic deterministically). */
  now?: () => number;
  /** Calibration statistics already collected on the rewritten graph (tests, repeated searches). */
  calibrationData?: CalibrationData;
}

export interface TraceEntry {
  step: number;
  phase: 'probe' | 'latency' | 'recovery' | 'harm' | 'calibration' | 'candidate' | 'verify' | 'accuracy';
  label: string;
  floatUnits?: number;
  predictedMs?: number;
  measuredMs?: number;
  fidelity?: FidelityScore;
  accuracy?: PairedAccuracy;
  note?: string;
}

export interface SearchResult {
  /** 'found': an INT8 model faster than FP32 within the accuracy budget; 'none': no such configuration here. */
  verdict: 'found' | 'none';
  /** One sentence: why this result (or why none), from the measurements. */
  reason: string;
  model?: LoadedModel;
  recipe?: QuantizationRecipe;
  report?: StaticQuantizeResult['report'];
  fp32: LatencyFigures;
  chosen?: { label: string; latency: LatencyFigures; predictedMs?: number; fidelity?: FidelityScore; accuracy?: PairedAccuracy; speedup: number };
  trace: TraceEntry[];
  latencyModel: Pick<LatencyModel, 'fit' | 'perElement' | 'fixedMs'> & { units: number };
  /** What the fidelity figure steered on (detection agreement, or output SQNR and why). */
  steering?: string;
  /** True when Ctrl-C or the budget cut the search short (the best configuration so far is returned). */
  interrupted: boolean;
  seconds: number;
}

interface Candidate {
  label: string;
  choice: RecipeChoice;
  int8: Set<number>;
  rewritten: LoadedModel;
  /** Statistics for a rewritten graph's own tensors beside the shared ones (optional rewrites); else the shared pass. */
  calibrationData?: CalibrationData;
  result?: StaticQuantizeResult;
  /** The latency model's figure; none for a graph the model was not fitted on (an optional rewrite's). */
  predictedMs?: number;
  fidelity?: FidelityScore;
  latency?: LatencyFigures;
  accuracy?: PairedAccuracy;
}

/** Two latencies closer than this (relative) are the same speed: the harness's rounds vary about that much here. */
export const SAME_SPEED = 0.03;
const DEFAULT_METHOD: CalibrationMethod = 'percentile';
const DEFAULT_PERCENTILE = 99.999;
/** Alternatives tried per tensor for the most harmful units' outputs. */
const TENSOR_METHODS: Array<{ method: CalibrationMethod; percentile?: number }> = [
  { method: 'percentile', percentile: 99.99 },
  { method: 'mse' },
  { method: 'minmax' },
];

class Budget {
  constructor(private readonly start: number, private readonly budgetMs: number, private readonly now: () => number, private readonly signal?: AbortSignal) {}
  get aborted(): boolean {
    return this.signal?.aborted === true;
  }
  /** True when there is time left for a step expected to take `ms`. */
  allows(ms = 0): boolean {
    return !this.aborted && this.now() - this.start + ms <= this.budgetMs;
  }
  elapsed(): number {
    return this.now() - this.start;
  }
}

export async function searchQuantization(model: LoadedModel, options: SearchOptions): Promise<SearchResult> {
  const now = options.now ?? (() => performance.now());
  const progress = options.progress ?? silentProgress;
  const maxDrop = options.maxDrop ?? 0.3;
  if (!(maxDrop >= 0)) throw new EdgeoptError(`max drop must be a number of mAP points >= 0, got ${String(options.maxDrop)}`);
  const budgetMs = options.budgetMs ?? 10 * 60_000;
  if (!(budgetMs > 0)) throw new EdgeoptError(`search budget must be a positive time, got ${String(options.budgetMs)} ms`);
  // Exploration gets 60% of the budget: verifying candidates in the harness and measuring their mAP need the rest.
  const budget = new Budget(now(), budgetMs * 0.6, now, options.signal);
  const total = new Budget(now(), budgetMs, now, options.signal);
  const trace: TraceEntry[] = [];
  const log = (entry: Omit<TraceEntry, 'step'>) => {
    trace.push({ step: trace.length + 1, ...entry });
    const parts = [
      entry.predictedMs !== undefined ? `predicted ${entry.predictedMs.toFixed(1)} ms` : '',
      entry.measuredMs !== undefined ? `measured ${entry.measuredMs.toFixed(1)} ms` : '',
      entry.fidelity ? formatFidelity(entry.fidelity) : '',
      entry.accuracy ? `mAP drop ${entry.accuracy.drop.toFixed(2)} [${entry.accuracy.ci[0].toFixed(2)}, ${entry.accuracy.ci[1].toFixed(2)}]` : '',
      entry.note ?? '',
    ].filter(Boolean);
    progress.step(`  [${entry.phase}] ${entry.label}${parts.length ? `: ${parts.join(', ')}` : ''}`);
  };

  // 1. Exact rewrites that apply by default, then one calibration pass for every candidate.
  const optimized = optimizeGraph(model);
  const rewrites = optimized.report.applied.filter((a) => a.matches > 0).map((a) => a.rewrite);
  const base = optimized.model;
  const units = buildUnits(base);
  if (units.units.length === 0) throw new EdgeoptError('nothing to quantize: the model has no node a static INT8 rule applies to');
  progress.step(`search: ${units.units.length} decision units${rewrites.length ? `, rewrites ${rewrites.join(', ')}` : ''}`);
  const calibrationData = options.calibrationData ?? (await calibrateStatic(base, options.calibration, { progress }));

  const allInt8 = new Set(units.units.map((u) => u.id));
  const choiceFor = (int8: ReadonlySet<number>, extra: Partial<RecipeChoice> = {}, reasons?: Map<number, string>): RecipeChoice => ({
    rewrites,
    activationType: 'uint8',
    perChannel: true,
    method: DEFAULT_METHOD,
    percentile: DEFAULT_PERCENTILE,
    overrides: {},
    siluAwareRanges: true,
    // Shared-scale Concats are part of every candidate: on onnxruntime they only ever turn table lookups into copies.
    sharedScaleConcats: true,
    biasCorrection: false,
    ...extra,
    float: floatList(units, int8, reasons),
  });
  const build = async (c: Candidate): Promise<StaticQuantizeResult> => {
    c.result ??= await quantizeStatic(c.rewritten, {
      ...staticOptionsFor(c.choice),
      calibrationData: c.calibrationData ?? calibrationData,
      calibration: options.calibration,
    });
    return c.result;
  };

  // 2. Probes → latency model. Shared-scale Concats are part of every int8 probe: they only ever save copies.
  const probe = async (label: string, int8: Set<number>, activationType: QuantType = 'uint8') => {
    const c: Candidate = { label, choice: choiceFor(int8, { activationType, siluAwareRanges: false }), int8, rewritten: base, predictedMs: 0 };
    const kernels = await options.measure.profile((await build(c)).model, label);
    return { label, int8: [...int8], kernels };
  };
  progress.step('search: profiling probe models (float, all-int8, mixed)');
  const floatProbe = { label: 'probe: float', int8: [] as number[], kernels: await options.measure.profile(base, 'probe: float') };
  const int8Probe = await probe('probe: all int8', allInt8);
  const even = new Set(units.units.filter((u) => u.id % 2 === 0).map((u) => u.id));
  const odd = new Set(units.units.filter((u) => u.id % 2 === 1).map((u) => u.id));
  const mixed = [await probe('probe: even units int8', even), await probe('probe: odd units int8', odd)];
  const latency = fitLatencyModel(base.graph, units, { float: floatProbe, int8: int8Probe, mixed });
  for (const f of latency.fit) log({ phase: 'probe', label: f.label, predictedMs: f.predictedMs, note: `profiled ${f.profiledMs.toFixed(1)} ms` });
  // The activation type: the device decides (on x86 onnxruntime's fast path is uint8; int8 activations ran 3x slower here).
  let activationType: QuantType = 'uint8';
  if (budget.allows(30_000)) {
    const s8 = await probe('probe: all int8, int8 activations', allInt8, 'int8');
    const sum = (k: ProfiledKernel[]) => k.reduce((a, x) => a + x.ms, 0);
    const u8Ms = sum(int8Probe.kernels);
    const s8Ms = sum(s8.kernels);
    if (s8Ms < u8Ms * 0.97) activationType = 'int8';
    log({ phase: 'probe', label: 'activation type', note: `uint8 ${u8Ms.toFixed(1)} ms vs int8 ${s8Ms.toFixed(1)} ms profiled: ${activationType}` });
  }

  const fast = fastestConfiguration(latency, units);
  const slowInInt8 = new Map<number, string>();
  for (const u of units.units) {
    if (fast.has(u.id)) continue;
    // The decision counts the Q/DQ passes at its edges, which the kernels alone do not show: say both.
    const savedMs = predictLatency(latency, units, new Set([...fast, u.id])) - predictLatency(latency, units, fast);
    slowInInt8.set(u.id, `faster in float here: ${savedMs.toFixed(2)} ms predicted saved with its boundaries (its kernels: int8 ${latency.int8Cost[u.id]!.toFixed(2)} ms, float ${latency.floatCost[u.id]!.toFixed(2)} ms)`);
  }
  const predicted = (int8: ReadonlySet<number>) => predictLatency(latency, units, int8);
  const fp32Predicted = predicted(new Set());
  log({ phase: 'latency', label: 'fastest predicted configuration', floatUnits: units.units.length - fast.size, predictedMs: predicted(fast), note: `float model ${fp32Predicted.toFixed(1)} ms predicted` });

  const candidate = (label: string, int8: Set<number>, extra: Partial<RecipeChoice>, reasons: Map<number, string>): Candidate => ({
    label,
    int8,
    choice: choiceFor(int8, { activationType, ...extra }, reasons),
    rewritten: base,
    predictedMs: predicted(int8),
  });
  const evaluate = async (c: Candidate, phase: TraceEntry['phase']): Promise<number> => {
    c.fidelity ??= await options.measure.fidelity((await build(c)).model);
    log({ phase, label: c.label, floatUnits: units.units.length - c.int8.size, predictedMs: c.predictedMs, fidelity: c.fidelity });
    return c.fidelity.score;
  };

  let best: Candidate = candidate('fastest', fast, { siluAwareRanges: true }, slowInInt8);
  const fallback = { candidates: [] as Candidate[] };
  if (fast.size === 0) {
    return finish({ verdict: 'none', reason: noGainReason(latency, units) }, [], undefined);
  }

  // 3a. Recovery that costs no speed: SiLU-aware ranges, bias correction.
  if (budget.allows()) {
    const plain = candidate('fastest, plain ranges', fast, { siluAwareRanges: false }, slowInInt8);
    const corrected = candidate('fastest + bias correction', fast, { siluAwareRanges: true, biasCorrection: true }, slowInInt8);
    const scores = [await evaluate(best, 'recovery')];
    for (const c of [plain, corrected]) if (budget.allows()) scores.push(await evaluate(c, 'recovery'));
    const all = [best, plain, corrected].slice(0, scores.length);
    best = all[scores.indexOf(Math.max(...scores))]!;
    if (best.choice.biasCorrection === true && best.result?.report.static.biasCorrections) {
      best.choice = { ...best.choice, biasCorrection: best.result.report.static.biasCorrections };
    }
  }

  // 3a'. Concat scales. One scale shared by a Concat's inputs and output lets onnxruntime copy bytes instead of
  // requantizing, but an input that other nodes also read (a C2f split feeds its bottleneck and its Concat) is then
  // quantized at the widest input's scale for them too, and loses its resolution where the ranges differ. Measured per Concat:
  // those whose own scales recover fidelity get them, and the all-shared configuration stays on the ladder (it may
  // be the faster one; the harness decides).
  if (best.fidelity && budget.allows(10_000)) {
    const everyConcat = base.graph.node.filter((n) => n.opType === 'Concat').map((n) => n.name ?? '');
    const int8Concats = units.units.filter((u) => u.opType === 'Concat' && best.int8.has(u.id)).map((u) => u.nodes[0]!);
    const shared = best;
    const sharedScore = best.fidelity.score;
    const withOwnScales = (label: string, own: readonly string[]): Candidate =>
      candidate(label, shared.int8, { ...bestExtra(shared), sharedScaleConcats: everyConcat.filter((n) => !own.includes(n)) }, slowInInt8);
    if (int8Concats.length > 0) {
      const none = withOwnScales('fastest, every Concat with its own scales', int8Concats);
      if ((await evaluate(none, 'recovery')) > sharedScore + 0.05) {
        const own: string[] = [];
        for (const name of int8Concats.length > 1 ? int8Concats : []) {
          if (!budget.allows(10_000)) break;
          if ((await evaluate(withOwnScales(`fastest, Concat ${name} with its own scales`, [name]), 'recovery')) > sharedScore + 0.05) own.push(name);
        }
        let chosen = none;
        if (own.length > 0 && own.length < int8Concats.length && budget.allows(10_000)) {
          const some = withOwnScales(`fastest, ${own.length} of ${int8Concats.length} Concats with their own scales`, own);
          if ((await evaluate(some, 'recovery')) >= none.fidelity!.score - 0.05) chosen = some;
        }
        fallback.candidates.push(shared);
        best = chosen;
      }
    }
  }

  // 3b. Harm per millisecond: how much fidelity each int8 unit costs, against what keeping it int8 saves.
  const harm = new Map<number, number>();
  const baseScore = best.fidelity?.score;
  if (baseScore !== undefined) {
    const chunks = chunk([...best.int8].sort((a, b) => a - b), Math.max(1, Math.ceil(best.int8.size / 12)));
    const chunkHarm: Array<{ units: number[]; gain: number }> = [];
    for (const members of chunks) {
      if (!budget.allows(10_000)) break;
      const int8 = new Set([...best.int8].filter((u) => !members.includes(u)));
      const c = { ...candidate(`units ${members[0]}–${members[members.length - 1]} float`, int8, bestExtra(best), slowInInt8), result: undefined, fidelity: undefined };
      const score = await evaluate(c, 'harm');
      chunkHarm.push({ units: members, gain: score - baseScore });
    }
    chunkHarm.sort((a, b) => b.gain - a.gain);
    for (const group of chunkHarm.slice(0, 2).filter((g) => g.gain > 0.05)) {
      for (const u of group.units) {
        if (!budget.allows(10_000)) break;
        const int8 = new Set([...best.int8].filter((x) => x !== u));
        const c = candidate(`unit ${units.units[u]!.nodes[0]} float`, int8, bestExtra(best), slowInInt8);
        harm.set(u, (await evaluate(c, 'harm')) - baseScore);
      }
    }
  }

  // 3c. Per-tensor calibration for the outputs of the most harmful units.
  const harmful = [...harm].filter(([, g]) => g > 0).sort((a, b) => b[1] - a[1]).map(([u]) => u);
  if (best.fidelity) {
    for (const u of harmful.slice(0, 4)) {
      for (const tensor of units.units[u]!.outputs.slice(-1)) {
        for (const alt of TENSOR_METHODS) {
          if (!budget.allows(10_000)) break;
          const overrides = { ...best.choice.overrides, [tensor]: alt };
          const c = candidate(`${tensor}: ${alt.method}${alt.percentile ? ` ${alt.percentile}` : ''}`, best.int8, { ...bestExtra(best), overrides }, slowInInt8);
          if ((await evaluate(c, 'calibration')) > best.fidelity!.score + 0.05) {
            best = c;
          }
        }
      }
    }
  }

  // 3d. The ladder of candidates: the best so far, then harmful units back to float, most harm per ms first.
  const reasons = new Map(slowInInt8);
  const ranked = harmful
    .map((u) => ({ u, perMs: harm.get(u)! / Math.max(0.02, floatPenalty(latency, units, best.int8, u)) }))
    .sort((a, b) => b.perMs - a.perMs);
  if (!fallback.candidates.includes(best)) fallback.candidates.push(best);
  let int8 = new Set(best.int8);
  for (const [k, { u, perMs }] of ranked.slice(0, 3).entries()) {
    int8 = new Set([...int8].filter((x) => x !== u));
    reasons.set(u, `accuracy: +${harm.get(u)!.toFixed(2)} dB fidelity in float (${perMs.toFixed(1)} dB per ms)`);
    fallback.candidates.push(candidate(`fallback ${k + 1}: ${units.units[u]!.nodes[0]} float`, int8, bestExtra(best), new Map(reasons)));
  }
  // 3e. The structural default, `--mode static` as it ships (STATIC_MODE_DEFAULTS, derived across the zoo): its
  // stem block and the head's final convs float. Verified beside the search's own candidates so that the answer
  // is never worse than what the static mode gives without a search.
  if (!options.signal?.aborted) {
    const structural = structuralDefault(base, units);
    if (structural.int8.size > 0) {
      const defaultsExtra: Partial<RecipeChoice> = {
        siluAwareRanges: STATIC_MODE_DEFAULTS.siluAwareRanges,
        sharedScaleConcats: STATIC_MODE_DEFAULTS.sharedScaleConcats,
        biasCorrection: STATIC_MODE_DEFAULTS.biasCorrection,
        overrides: {},
      };
      const defaults = candidate('static-mode defaults', structural.int8, defaultsExtra, structural.reasons);
      fallback.candidates.push(defaults);
      const between = await betweenDefaultsAndFastest(defaults, defaultsExtra, structural.reasons);
      if (between) fallback.candidates.push(between);
    }
  }
  /**
   * 3f. Between the structural default and the search's best: the default with the best's precision on the units
   * where they differ, switched only where the latency model says it saves time and where its measured fidelity
   * cost per saved millisecond is below the average of the whole step (the best's loss against the default, per
   * millisecond). Nothing to add when the best is no less faithful than the default, or no switch qualifies.
   */
  async function betweenDefaultsAndFastest(defaults: Candidate, extra: Partial<RecipeChoice>, defaultReasons: Map<number, string>): Promise<Candidate | undefined> {
    if (!budget.allows(20_000)) return undefined;
    const defaultsScore = await evaluate(defaults, 'candidate');
    const bestScore = best.fidelity?.score;
    const gapMs = defaults.predictedMs! - best.predictedMs!;
    if (bestScore === undefined || bestScore >= defaultsScore || gapMs <= 0) return undefined;
    const averageHarmPerMs = (defaultsScore - bestScore) / gapMs;
    const switches: Array<{ u: number; perMs: number }> = [];
    for (const u of units.units.map((x) => x.id).filter((x) => defaults.int8.has(x) !== best.int8.has(x))) {
      if (!budget.allows(10_000)) break;
      const int8 = new Set(defaults.int8);
      if (best.int8.has(u)) int8.add(u);
      else int8.delete(u);
      const savedMs = defaults.predictedMs! - predicted(int8);
      if (savedMs <= 0) continue;
      const c = candidate(`static-mode defaults, unit ${units.units[u]!.nodes[0]} ${best.int8.has(u) ? 'int8' : 'float'}`, int8, extra, defaultReasons);
      const perMs = (defaultsScore - (await evaluate(c, 'harm'))) / savedMs;
      if (perMs < averageHarmPerMs) switches.push({ u, perMs });
    }
    if (switches.length === 0) return undefined;
    const int8 = new Set(defaults.int8);
    const reasons = new Map(defaultReasons);
    for (const { u } of switches) {
      if (best.int8.has(u)) {
        int8.add(u);
        reasons.delete(u);
      } else {
        int8.delete(u);
        reasons.set(u, slowInInt8.get(u) ?? 'faster in float here');
      }
    }
    return candidate(`static-mode defaults + ${switches.length} of the fastest's ${switches.length === 1 ? 'choice' : 'choices'}`, int8, extra, reasons);
  }

  // 3g. Optional exact rewrites: the ones not applied by default because in float they gain nothing, but which give
  // a unit a form with a fast int8 kernel (the SpaceToDepth stem: a 6×6/2 conv on 3 channels is slow in int8, its
  // 3×3 equivalent on 12 channels is not). Each that matches this model is tried on the best configuration with the
  // units it rewrote in int8 (what it is for), and is kept only where the harness measures it faster than the rest.
  for (const c of await optionalRewriteCandidates()) fallback.candidates.push(c);

  async function optionalRewriteCandidates(): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (const name of REWRITE_NAMES.filter((n) => !DEFAULT_REWRITE_NAMES.includes(n))) {
      if (!budget.allows(30_000)) break;
      const applied = optimizeGraph(base, { rewrites: [name] });
      const nodes = applied.report.applied[0]?.nodes ?? [];
      if (nodes.length === 0) continue;
      // The rewritten graph's new tensors (a SpaceToDepth output) need ranges: one short pass over those alone.
      const known = new Set(base.graph.node.flatMap((n) => n.output));
      const added = applied.model.graph.node.flatMap((n) => n.output).filter((t) => t && !known.has(t));
      let data = calibrationData;
      if (added.length > 0) {
        const source = options.calibration;
        progress.step(`search: calibrating the ${added.length} new tensor${added.length === 1 ? '' : 's'} of the ${name} graph`);
        const extra = source ? await calibrate(applied.model, added, source) : undefined;
        if (!extra || added.some((t) => !extra.stats.has(t))) {
          log({ phase: 'candidate', label: `${best.label} + ${name}`, note: 'not tried: the calibration samples could not be read again for its new tensors' });
          continue;
        }
        data = { ...calibrationData, stats: new Map([...calibrationData.stats, ...extra.stats]) };
      }
      const int8 = new Set(best.int8);
      const reasons = reasonsOf(best, units);
      for (const node of nodes) {
        const u = units.unitOf.get(node);
        if (u === undefined) continue;
        int8.add(u);
        reasons.delete(u);
      }
      const choice: RecipeChoice = { ...best.choice, rewrites: [...best.choice.rewrites, name], float: floatList(units, int8, reasons) };
      const c: Candidate = { label: `${best.label} + ${name}`, int8, choice, rewritten: applied.model, calibrationData: data };
      c.fidelity = await options.measure.fidelity((await build(c)).model);
      log({ phase: 'candidate', label: c.label, floatUnits: units.units.length - int8.size, fidelity: c.fidelity, note: `rewrote ${nodes.join(', ')}; not in the latency model, measured in the harness` });
      out.push(c);
    }
    return out;
  }

  // Every verified candidate has its fidelity (without eval data it is what accepts or rejects it).
  // After Ctrl-C the best so far still gets its fidelity (one pass over the held-out images): without it, it could not be accepted.
  for (const c of fallback.candidates) if (!c.fidelity && (c === best || !options.signal?.aborted)) await evaluate(c, 'candidate');

  // 4. Verify end to end in the harness (isolated processes, interleaved with FP32), then accuracy.
  const verified = fallback.candidates;
  for (const c of verified) await build(c);
  const bench = await options.measure.benchmark(verified.map((c) => ({ label: c.label, model: c.result!.model })));
  verified.forEach((c, i) => {
    c.latency = bench.candidates[i];
    log({ phase: 'verify', label: c.label, predictedMs: c.predictedMs, measuredMs: c.latency?.p50Ms, note: c.latency ? `${(bench.fp32.p50Ms / c.latency.p50Ms).toFixed(2)}x FP32 (${bench.fp32.p50Ms.toFixed(1)} ms)` : undefined });
  });
  // Faster at 1 thread, and not slower where the practical (all-cores) scenario was measured: a model written as
  // faster must not lose to FP32 at the thread count a deployment uses by default.
  const fasterAtOneThread = verified.filter((c) => c.latency && c.latency.p50Ms < bench.fp32.p50Ms);
  const threads = bench.fp32.practicalThreads ?? 'all';
  const practical = (c: Candidate) => `${c.latency!.practicalP50Ms!.toFixed(1)} vs FP32 ${bench.fp32.practicalP50Ms!.toFixed(1)} ms at ${threads} threads`;
  const slowerInPractice = (c: Candidate) =>
    c.latency?.practicalP50Ms !== undefined && bench.fp32.practicalP50Ms !== undefined && c.latency.practicalP50Ms > bench.fp32.practicalP50Ms * (1 + SAME_SPEED);
  for (const c of fasterAtOneThread.filter(slowerInPractice)) log({ phase: 'verify', label: c.label, note: `slower than FP32 in the practical scenario (${practical(c)}): not a candidate` });
  const faster = fasterAtOneThread.filter((c) => !slowerInPractice(c)).sort((a, b) => a.latency!.p50Ms - b.latency!.p50Ms);
  if (faster.length === 0 && fasterAtOneThread.length > 0) {
    const closest = [...fasterAtOneThread].sort((a, b) => a.latency!.practicalP50Ms! - b.latency!.practicalP50Ms!)[0]!;
    return finish({ verdict: 'none', reason: `every INT8 configuration faster than FP32 at 1 thread is slower at ${threads} threads (closest: ${closest.label}, ${practical(closest)})` }, verified, bench.fp32);
  }
  if (faster.length === 0) {
    return finish({ verdict: 'none', reason: `no INT8 configuration measured faster than FP32 (${bench.fp32.p50Ms.toFixed(1)} ms at 1 thread; best ${Math.min(...verified.map((c) => c.latency?.p50Ms ?? Infinity)).toFixed(1)} ms): ${noGainReason(latency, units)}` }, verified, bench.fp32);
  }
  let chosen: Candidate | undefined;
  for (const c of faster) {
    if (options.measure.accuracy) {
      if (!total.allows() && chosen) break;
      c.accuracy = await options.measure.accuracy(c.result!.model);
      log({ phase: 'accuracy', label: c.label, measuredMs: c.latency!.p50Ms, accuracy: c.accuracy });
      if (c.accuracy.drop <= maxDrop) {
        chosen = c;
        break;
      }
    } else {
      if ((c.fidelity?.channelSqnrDb ?? c.fidelity?.score ?? -Infinity) >= (options.minSqnrDb ?? 25)) {
        chosen = c;
        break;
      }
    }
  }
  if (!chosen) {
    const measured = faster.filter((c) => c.accuracy).map((c) => `${c.label} ${c.accuracy!.drop.toFixed(2)}`);
    const limit = options.measure.accuracy ? `${maxDrop} mAP points` : `output SQNR ${options.minSqnrDb ?? 25} dB against FP32, no eval data given`;
    return finish({ verdict: 'none', reason: `every INT8 configuration faster than FP32 lost more accuracy than allowed (${limit}${measured.length ? `; measured drops: ${measured.join(', ')}` : ''})` }, verified, bench.fp32);
  }
  return finish({ verdict: 'found', reason: `${chosen.label}: ${(bench.fp32.p50Ms / chosen.latency!.p50Ms).toFixed(2)}x faster than FP32 at 1 thread${chosen.accuracy ? `, mAP50-95 drop ${chosen.accuracy.drop.toFixed(2)}` : ''}` }, verified, bench.fp32, chosen);

  function finish(verdict: { verdict: 'found' | 'none'; reason: string }, candidates: Candidate[], fp32?: LatencyFigures, winner?: Candidate): SearchResult {
    void candidates;
    const recipe = winner ? recipeFromResult(options.name, winner.choice, winner.result!, model.graph.node.length) : undefined;
    if (recipe && winner) {
      recipe.measured = {
        latencyMs: winner.latency?.p50Ms,
        practicalMs: winner.latency?.practicalP50Ms,
        fp32Ms: fp32?.p50Ms,
        predictedMs: winner.predictedMs,
        fidelity: winner.fidelity,
        accuracy: winner.accuracy,
      };
    }
    return {
      ...verdict,
      model: winner?.result?.model,
      recipe,
      report: winner?.result?.report,
      fp32: fp32 ?? { p50Ms: Number.NaN },
      chosen: winner
        ? { label: winner.label, latency: winner.latency!, predictedMs: winner.predictedMs, fidelity: winner.fidelity, accuracy: winner.accuracy, speedup: fp32 ? fp32.p50Ms / winner.latency!.p50Ms : Number.NaN }
        : undefined,
      trace,
      ...(options.measure.steering ? { steering: options.measure.steering } : {}),
      latencyModel: { fit: latency.fit, perElement: latency.perElement, fixedMs: latency.fixedMs, units: units.units.length },
      interrupted: budget.aborted || !budget.allows(),
      seconds: total.elapsed() / 1000,
    };
  }
}

/** A fidelity figure in one clause: detection F1 (and its dB) with the SQNR beside it, or the SQNR alone. */
export function formatFidelity(f: FidelityScore): string {
  const sqnr = `SQNR ${(f.channelSqnrDb ?? f.score).toFixed(1)} dB`;
  return f.detectionF1 !== undefined ? `det F1 ${f.detectionF1.toFixed(3)} (${f.score.toFixed(1)} dB), ${sqnr}` : sqnr;
}

/**
 * The units `--mode static` keeps float with its defaults (stem block, the head's final convs; the decoding is
 * never a unit), as the static planner finds them, and the rest int8.
 */
function structuralDefault(base: LoadedModel, units: UnitGraph): { int8: Set<number>; reasons: Map<number, string> } {
  const plan = planStaticQuantization(base, { ops: 'all', exclude: [], head: 'final-convs', skipStem: true });
  const reasons = new Map<number, string>();
  for (const f of plan.float) {
    const u = units.unitOf.get(f.node);
    if (u !== undefined && !reasons.has(u)) reasons.set(u, `static-mode default: ${f.reason}`);
  }
  return { int8: new Set(units.units.map((u) => u.id).filter((u) => !reasons.has(u))), reasons };
}

function bestExtra(c: Candidate): Partial<RecipeChoice> {
  const { float: _float, ...rest } = c.choice;
  void _float;
  return rest;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function floatList(units: UnitGraph, int8: ReadonlySet<number>, reasons?: Map<number, string>): RecipeFloatNode[] {
  const list: RecipeFloatNode[] = units.fixedFloat.map((f) => ({ node: f.node, reason: f.reason }));
  const floatNodes = new Set(floatNodesOf(units, int8));
  for (const u of units.units) {
    if (int8.has(u.id)) continue;
    for (const node of u.nodes) if (floatNodes.has(node)) list.push({ node, reason: reasons?.get(u.id) ?? 'float' });
  }
  return list;
}

/** Why each of a candidate's float units is float, from its choice's float list. */
function reasonsOf(c: Candidate, units: UnitGraph): Map<number, string> {
  const reasons = new Map<number, string>();
  for (const f of c.choice.float) {
    const u = units.unitOf.get(f.node);
    if (u !== undefined && !reasons.has(u)) reasons.set(u, f.reason);
  }
  return reasons;
}

/** Why int8 does not pay on this device, in the profile's terms: the units where int8 is slower, summed. */
function noGainReason(latency: LatencyModel, units: UnitGraph): string {
  let slower = 0;
  let floatMs = 0;
  let int8Ms = 0;
  const ops = new Map<string, { int8: number; float: number }>();
  for (const u of units.units) {
    const f = latency.floatCost[u.id]!;
    const q = latency.int8Cost[u.id]!;
    floatMs += f;
    int8Ms += q;
    if (q > f) slower++;
    const o = ops.get(u.opType) ?? { int8: 0, float: 0 };
    o.int8 += q;
    o.float += f;
    ops.set(u.opType, o);
  }
  const worst = [...ops].sort((a, b) => b[1].int8 - b[1].float - (a[1].int8 - a[1].float))[0];
  const boundary = latency.perElement.toInt8 + latency.perElement.toFloat;
  return `the profile shows ${slower} of ${units.units.length} units slower in int8 (all units: ${int8Ms.toFixed(1)} ms int8 vs ${floatMs.toFixed(1)} ms float)` +
    (worst ? `, worst ${worst[0]} (${worst[1].int8.toFixed(1)} ms int8 vs ${worst[1].float.toFixed(1)} ms float)` : '') +
    `, and each float/int8 boundary costs ${(boundary * 1e6).toFixed(2)} ms per million elements`;
}
