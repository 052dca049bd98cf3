import type { SessionConfig } from '../../runtime/runtime.js';
import { opsetVersion } from '../../onnx/graph.js';
import type { LoadedModel, NodeProto } from '../../onnx/types.js';
import type { DataQualityOptions, DataQualitySummary } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import { silentProgress, type Progress } from '../../util/progress.js';
import { calibrate, type CalibrationData, type CalibrationSource, type FeedBuilder } from '../calibrate/index.js';
import { CALIBRATION_METHODS, DEFAULT_PERCENTILE, calibratedRange, type CalibrationMethod, type TensorRange } from '../calibrate/methods.js';
import { findSiluInputs, siluInputRange } from './activation-ranges.js';
import { measureBiasCorrections, type BiasCorrections } from './bias-correction.js';
import { takeFeedRecords, type FeedRecord } from '../calibrate/index.js';

/** Images bias correction measures on by default: per-channel means settle within a few images of 640². */
export const DEFAULT_BIAS_CORRECTION_IMAGES = 16;
import { QUANT_TYPES, type QuantType } from '../math.js';
import { assertNotQuantized } from '../already-quantized.js';
import type { CommonModeOptions, QuantizeReport, QuantizeResult } from '../types.js';
import type { HeadExclusion } from './head.js';
import { STATIC_OP_RULES, type StaticOpSelection } from './ops.js';
import { optimizeGraph } from '../../optimize/index.js';
import { derivableTensors, derivedRange } from './derived.js';
import { QDQ_MIN_OPSET, upgradeOpsetForQdq } from './opset.js';
import { planStaticQuantization, type FloatNode, type PlanOptions, type QuantPlan } from './plan.js';
import { insertQdq } from './qdq.js';

export { findDetectionHead, type DetectionHead, type HeadExclusion } from './head.js';
export { STATIC_OP_RULES, type StaticOpRule, type StaticOpSelection } from './ops.js';
export { upgradeOpsetForQdq, QDQ_MIN_OPSET } from './opset.js';
export { planStaticQuantization, isStemConv, type QuantPlan, type FloatNode } from './plan.js';

export interface StaticQuantizeOptions {
  /** Calibration samples or an image folder; not needed when `calibrationData` is given. */
  calibration?: CalibrationSource;
  /** Statistics from {@link calibrateStatic}, to build several variants from one calibration run. */
  calibrationData?: CalibrationData;
  /** Default 'percentile' (99.999): on YOLOv5nu here it kept mAP where min-max lost 1.3 points. */
  method?: CalibrationMethod;
  percentile?: number;
  /** uint8 asymmetric (default: onnxruntime's fast U8S8 path on x86) or int8 symmetric. */
  activationType?: QuantType;
  /** Only int8 weights are supported (symmetric, which QLinearConv's U8S8/S8S8 kernels expect). */
  weightType?: QuantType;
  /** Per-channel weight scales along axis 0 (default) or one per tensor. */
  perChannel?: boolean;
  /** 'all' (default): Conv, Sigmoid, Mul, Add, Concat, MaxPool, Resize; 'conv': Conv only; or a list of op types. */
  ops?: StaticOpSelection;
  /** Node names, op types or output tensor names kept in float. */
  exclude?: string[];
  /**
   * Keep the detection head in float, found from the graph structure: true/'final-convs' (default) keeps the decoding,
   * the DFL and the last conv of each head branch; 'decode' only the decoding and DFL; false quantizes everything.
   */
  excludeHead?: boolean | HeadExclusion;
  /** Keep the stem conv (reading the 3-channel image) in float (default true: it ran slower in int8 here). */
  skipStem?: boolean;
  /** Calibration method per activation tensor, overriding `method`/`percentile` for those tensors (a recipe's choices). */
  tensorCalibration?: Record<string, TensorCalibration>;
  /**
   * Narrow the range of tensors read only by a SiLU to what its quantized output can tell apart (see
   * activation-ranges.ts); default false.
   */
  siluAwareRanges?: boolean;
  /**
   * Bias correction (see bias-correction.ts): true measures each quantized conv's mean output shift on
   * `biasCorrectionSamples` (default: the first 16 calibration images) and subtracts it; a record applies given shifts.
   */
  biasCorrection?: boolean | BiasCorrections;
  biasCorrectionSamples?: FeedRecord[];
  /** Final range per quantized tensor (a recipe's): replaces calibration and every range adjustment. */
  fixedRanges?: Record<string, TensorRange>;
  /** Concat nodes (names, or true for all) whose inputs and output share one scale so that the runtime copies bytes. */
  sharedScaleConcats?: boolean | string[];
  /** Session settings for the calibration runs. */
  calibrationSession?: SessionConfig;
  progress?: Progress;
}

export interface TensorCalibration {
  method: CalibrationMethod;
  percentile?: number;
}

export interface StaticDetails {
  calibration: { method: CalibrationMethod; percentile?: number; samples: number; seconds: number; source: string; dataQuality?: DataQualitySummary };
  activationType: QuantType;
  ops: string[];
  /** Activation tensors with a Q→DQ pair. */
  qdqPairs: number;
  /** Conv name → per-channel bias shift applied (bias correction), when any. */
  biasCorrections?: BiasCorrections;
  biases: number;
  /** Nodes that had a rule but stay float, and why (head, stem, exclusions, unsupported). */
  floatNodes: FloatNode[];
  head: { detected: boolean; exclusion: HeadExclusion | false; decode: string[]; finalConvs: string[] };
  /** Activation scale/zero point per quantized tensor (only the count in JSON summaries is usually interesting). */
  activations: Record<string, { min: number; max: number; scale: number; zeroPoint: number }>;
}

export type StaticQuantizeReport = QuantizeReport & { static: StaticDetails };

export interface StaticQuantizeResult extends QuantizeResult {
  report: StaticQuantizeReport;
}

interface ResolvedOptions extends PlanOptions {
  method: CalibrationMethod;
  percentile: number;
  activationType: QuantType;
  perChannel: boolean;
}

function resolveOptions(options: StaticQuantizeOptions): ResolvedOptions {
  const method = options.method ?? 'percentile';
  if (!CALIBRATION_METHODS.includes(method)) {
    throw new EdgeoptError(`unknown calibration method '${String(method)}' (expected ${CALIBRATION_METHODS.join(', ')})`);
  }
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (typeof percentile !== 'number' || !(percentile >= 50 && percentile <= 100)) {
    throw new EdgeoptError(`percentile must be between 50 and 100 (e.g. 99.999), got ${String(percentile)}`);
  }
  const activationType = options.activationType ?? 'uint8';
  if (!QUANT_TYPES.includes(activationType)) {
    throw new EdgeoptError(`activation type must be ${QUANT_TYPES.join(' or ')}, got '${String(activationType)}'`);
  }
  if (options.weightType !== undefined && options.weightType !== 'int8') {
    throw new EdgeoptError(`static quantization stores weights as int8 (symmetric); weight type '${String(options.weightType)}' is not supported`);
  }
  const ops = options.ops ?? 'all';
  if (ops !== 'all' && ops !== 'conv') {
    if (!Array.isArray(ops) || ops.length === 0) throw new EdgeoptError(`ops must be 'conv', 'all' or a list of op types`);
    const unknown = ops.filter((op) => !STATIC_OP_RULES[op]);
    if (unknown.length > 0) {
      throw new EdgeoptError(`no static quantization rule for op type(s) ${unknown.join(', ')} (supported: ${Object.keys(STATIC_OP_RULES).join(', ')})`);
    }
  }
  const exclude = options.exclude ?? [];
  if (!Array.isArray(exclude) || exclude.some((e) => typeof e !== 'string' || e === '')) {
    throw new EdgeoptError('exclude must be a list of node names, op types or tensor names');
  }
  const excludeHead = options.excludeHead ?? true;
  let head: HeadExclusion | false;
  if (excludeHead === true) head = 'final-convs';
  else if (excludeHead === false) head = false;
  else if (excludeHead === 'decode' || excludeHead === 'final-convs') head = excludeHead;
  else throw new EdgeoptError(`excludeHead must be true, false, 'decode' or 'final-convs', got '${String(excludeHead)}'`);
  return {
    method,
    percentile,
    activationType,
    perChannel: options.perChannel ?? true,
    ops,
    exclude,
    head,
    skipStem: options.skipStem ?? true,
    sharedScaleConcats: options.sharedScaleConcats ?? false,
  };
}

/** The plan that covers every static variant (all op types, head and stem included). */
const EVERY_VARIANT: PlanOptions = { ops: 'all', exclude: [], head: false, skipStem: false };

/**
 * The model as static quantization sees it: at opset 13 or newer (QDQ needs it), upgraded on a copy when older.
 * Calibration runs this same graph, so that tensor names always match between statistics and plan.
 */
function prepareForQdq(model: LoadedModel): { model: LoadedModel; notes: string[] } {
  if ((opsetVersion(model) ?? 1) >= QDQ_MIN_OPSET) return { model, notes: [] };
  const copy = structuredClone(model);
  return { model: copy, notes: upgradeOpsetForQdq(copy) };
}

/** The plan's tensors that need measuring: the rest follow from their input's range (or are measured already). */
function tensorsToMeasure(model: LoadedModel, plan: QuantPlan): string[] {
  const derived = derivableTensors(model.graph, plan.calibrated);
  // A narrower plan (a search candidate with a middle node float) wants tensors this one derives: it walks the same
  // chain of increasing ops back to a measured source (derivableTensors with statistics), so none is measured twice.
  return plan.calibrated.filter((t) => !derived.has(t));
}

/**
 * Collects statistics for the float activations a static plan quantizes — by default the plan covering every
 * variant (all op types, head and stem included), so that one pass over the images serves every variant and
 * method built afterwards; `plan` narrows it to one variant's tensors.
 */
export async function calibrateStatic(
  model: LoadedModel,
  source: CalibrationSource,
  options: { session?: SessionConfig; progress?: Progress; plan?: PlanOptions } = {},
): Promise<CalibrationData> {
  assertNotQuantized(model, 'static INT8');
  const prepared = prepareForQdq(model).model;
  const measured = tensorsToMeasure(prepared, planStaticQuantization(prepared, options.plan ?? EVERY_VARIANT));
  const progress = options.progress ?? silentProgress;
  let total: number | undefined;
  progress.step(`calibrating ${measured.length} activation tensors`);
  return calibrate(prepared, measured, source, {
    session: options.session,
    onTotal: (t) => (total = t),
    onSample: (done) => progress.tick('calibrating', done, total ?? done),
  });
}

/**
 * Static INT8 quantization in onnxruntime's QDQ format: calibrate activation ranges on sample inputs, then insert
 * Q/DQ pairs that onnxruntime fuses into QLinearConv, QLinearMul, QLinearSigmoid, QLinearAdd, QLinearConcat.
 * The input model is not modified.
 */
export async function quantizeStatic(input: LoadedModel, options: StaticQuantizeOptions): Promise<StaticQuantizeResult> {
  const settings = resolveOptions(options);
  const progress = options.progress ?? silentProgress;
  assertNotQuantized(input, 'static INT8');
  if (!options.calibrationData && !options.calibration && !options.fixedRanges) {
    throw new EdgeoptError('static quantization needs calibration data (an image folder or sample tensors)');
  }
  const nodesBefore = input.graph.node.length;
  const prepared = prepareForQdq(input);
  const model = prepared.model === input ? structuredClone(input) : prepared.model;
  const notes = [...prepared.notes];
  let plan = planStaticQuantization(model, settings);
  let data: CalibrationData | undefined;
  let ranges: Map<string, TensorRange>;
  let narrowed = 0;
  if (options.fixedRanges) {
    // A recipe's final ranges: every quantized tensor's range as it was chosen, no calibration needed.
    ranges = new Map(Object.entries(options.fixedRanges).map(([t, r]) => [t, { min: r.min, max: r.max }]));
  } else {
    data = options.calibrationData ??
      (await calibrateStatic(input, options.calibration!, { session: options.calibrationSession, progress, plan: settings }));
    plan = planWithStatistics(model, plan, settings, data, notes);
    ({ ranges, narrowed } = activationRanges(model, plan, data, settings, options));
  }
  progress.step(`inserting QDQ for ${plan.nodes.length} nodes (${settings.method}, ${settings.activationType} activations)`);
  let corrections = typeof options.biasCorrection === 'object' ? options.biasCorrection : undefined;
  let correctionSamples = 0;
  if (options.biasCorrection === true) {
    const initializers = new Map(model.graph.initializer.map((t) => [t.name ?? '', t]));
    const targets = plan.nodes
      .filter((n) => n.opType === 'Conv' && n.input[2] && initializers.has(n.input[1] ?? ''))
      .map((n) => ({
        conv: n.name ?? '',
        input: n.input[0]!,
        weight: initializers.get(n.input[1]!)!,
        range: ranges.get(plan.aliases.get(n.input[0]!) ?? n.input[0]!)!,
        perChannel: settings.perChannel,
      }))
      .filter((t) => t.range !== undefined);
    if (targets.length === 0) {
      notes.push('bias correction: no quantized conv with a bias, nothing to correct');
    } else {
      const samples = options.biasCorrectionSamples ?? (options.calibration ? await takeFeedRecords(model, quietSource(options.calibration), DEFAULT_BIAS_CORRECTION_IMAGES) : undefined);
      if (!samples) throw new EdgeoptError('bias correction needs calibration images or sample feeds (biasCorrectionSamples)');
      progress.step(`bias correction: ${targets.length} convs, input means on ${samples.length} calibration samples`);
      corrections = await measureBiasCorrections(model, targets, samples, options.calibrationSession);
      correctionSamples = samples.length;
    }
  }
  const qdq = insertQdq(model.graph, plan, ranges, { activationType: settings.activationType, perChannel: settings.perChannel, biasShifts: corrections });
  if (corrections && Object.keys(corrections).length > 0) {
    const shifts = Object.values(corrections).flat();
    notes.push(`bias correction on ${Object.keys(corrections).length} convs (mean |shift| ${(shifts.reduce((a, v) => a + Math.abs(v), 0) / shifts.length).toExponential(2)}${correctionSamples ? `, measured on ${correctionSamples} calibration samples` : ', from the given shifts'})`);
  }
  if (narrowed > 0) notes.push(`${narrowed} SiLU input range(s) narrowed to what the activation's quantized output resolves`);
  if (plan.head === undefined && settings.head) notes.push('no detection head found in the graph structure: nothing excluded as head');
  if (plan.unmatchedExcludes.length > 0) notes.push(`exclude entries matching no node: ${plan.unmatchedExcludes.join(', ')}`);
  notes.push(...(data?.notes ?? []));
  const quantized: Record<string, number> = {};
  for (const node of plan.nodes) quantized[node.opType ?? ''] = (quantized[node.opType ?? ''] ?? 0) + 1;
  const report: StaticQuantizeReport = {
    schemaVersion: 1,
    mode: 'static',
    weightType: 'int8',
    perChannel: settings.perChannel,
    symmetricWeights: true,
    quantized,
    quantizedNodes: plan.nodes.length,
    skipped: plan.float,
    unmatchedExcludes: plan.unmatchedExcludes,
    inserted: insertedOps(input.graph.node, model.graph.node),
    weights: { ...qdq.weights, gridSnapped: 0 },
    nodesBefore,
    nodesAfter: model.graph.node.length,
    notes,
    static: {
      calibration: {
        method: settings.method,
        percentile: settings.method === 'percentile' ? settings.percentile : undefined,
        samples: data?.samples ?? 0,
        seconds: data?.seconds ?? 0,
        source: data?.source ?? 'fixed ranges (a recipe): no calibration run',
        ...(data?.dataQuality ? { dataQuality: data.dataQuality } : {}),
      },
      activationType: settings.activationType,
      ops: Object.keys(quantized),
      qdqPairs: qdq.activationPairs,
      ...(corrections ? { biasCorrections: corrections } : {}),
      biases: qdq.biases,
      floatNodes: plan.float,
      head: {
        detected: plan.head !== undefined,
        exclusion: settings.head,
        decode: plan.head?.decode ?? [],
        finalConvs: plan.head?.finalConvs ?? [],
      },
      activations: Object.fromEntries(
        [...qdq.activations].map(([t, p]) => [t, { min: p.range.min, max: p.range.max, scale: p.scale, zeroPoint: p.zeroPoint }]),
      ),
    },
  };
  return { model, report };
}

/** The plan's tensors that have neither statistics nor a measured tensor their range follows from. */
function uncalibrated(model: LoadedModel, plan: QuantPlan, data: CalibrationData): string[] {
  const has = (t: string) => data.stats.has(t);
  const derived = derivableTensors(model.graph, plan.calibrated, has);
  return plan.calibrated.filter((t) => !has(t) && !derived.has(t));
}

/**
 * The plan again with every node that reads or writes a tensor without statistics kept float (and said so in the
 * notes): a missing statistic narrows the plan, it never turns into a wrong or absent range. Statistics that match
 * none of the plan's tensors were collected for another model, and that is an error.
 */
function planWithStatistics(model: LoadedModel, plan: QuantPlan, settings: ResolvedOptions, data: CalibrationData, notes: string[]): QuantPlan {
  let missing = uncalibrated(model, plan, data);
  if (missing.length === 0) return plan;
  if (!plan.calibrated.some((t) => data.stats.has(t))) {
    throw new EdgeoptError(`calibration data has no statistics for ${missing.length} tensor(s) (e.g. '${missing[0]}'): it was collected for a different model`);
  }
  const first = missing[0]!;
  const tensors = new Set<string>();
  const kept = new Set<string>();
  let current = plan;
  for (let round = 0; missing.length > 0 && round < 16; round++) {
    for (const t of missing) tensors.add(t);
    for (const node of current.nodes) {
      if (![...node.input, ...node.output].some((t) => tensors.has(t))) continue;
      kept.add(node.name || node.output[0]!);
    }
    current = planStaticQuantization(model, { ...settings, exclude: [...settings.exclude, ...kept] });
    missing = uncalibrated(model, current, data);
  }
  if (missing.length > 0) throw new EdgeoptError(`calibration data has no statistics for '${missing[0]}' and keeping its readers float did not resolve it`);
  if (current.nodes.length === 0) throw new EdgeoptError(`calibration data has statistics for none of the tensors this model quantizes (e.g. '${first}'): it was collected for a different model`);
  const reason = 'no calibration statistics for a tensor it reads or writes';
  current.float = current.float.map((f) => (kept.has(f.node) ? { ...f, reason } : f));
  current.unmatchedExcludes = current.unmatchedExcludes.filter((e) => !kept.has(e));
  notes.push(`${kept.size} node(s) kept float: the calibration data has no statistics for ${tensors.size} tensor(s) they read or write (e.g. '${first}')`);
  return current;
}

/**
 * Every quantized tensor's range: its calibration method (or its own override), shared-scale groups widened to their
 * union, SiLU inputs narrowed, and ranges that follow from another tensor's (Sigmoid, data movement) derived last.
 */
function activationRanges(
  model: LoadedModel,
  plan: QuantPlan,
  data: CalibrationData,
  settings: ResolvedOptions,
  options: StaticQuantizeOptions,
): { ranges: Map<string, TensorRange>; narrowed: number } {
  // Outputs of increasing ops (Sigmoid, Relu) take their range from their input's when that has statistics.
  const derived = derivableTensors(model.graph, plan.calibrated, (t) => data.stats.has(t));
  // planWithStatistics left only tensors with statistics or a measured source; a gap here is a bug, said plainly.
  const missing = plan.calibrated.filter((t) => !data.stats.has(t) && !derived.has(t));
  if (missing.length > 0) throw new EdgeoptError(`internal: no calibration statistics for '${missing[0]}'`);
  const needed = new Set([...plan.calibrated.filter((t) => !derived.has(t)), ...[...derived.values()].map((d) => d.input)]);
  const ranges = new Map<string, TensorRange>();
  for (const t of needed) {
    const own = options.tensorCalibration?.[t];
    const stats = data.stats.get(t);
    if (!stats) throw new EdgeoptError(`internal: no calibration statistics for '${t}' (derived tensors' sources are measured)`);
    ranges.set(t, calibratedRange(stats, {
      method: own?.method ?? settings.method,
      percentile: own?.percentile ?? settings.percentile,
      // The entropy search assumes as many levels as the magnitude range gets: 255 for uint8 (one-sided), 127 for int8.
      quantizedBins: settings.activationType === 'uint8' ? 255 : 127,
      symmetric: settings.activationType === 'int8',
    }));
  }
  // Shared-scale groups take the union of their members' ranges (members keep their own statistics).
  for (const [representative, members] of plan.groups) {
    const own = members.map((m) => ranges.get(m)).filter((r): r is TensorRange => r !== undefined);
    ranges.set(representative, { min: Math.min(...own.map((r) => r.min)), max: Math.max(...own.map((r) => r.max)) });
  }
  let narrowed = 0;
  if (options.siluAwareRanges) {
    for (const silu of findSiluInputs(model.graph, new Set(plan.nodes))) {
      const input = ranges.get(silu.tensor);
      const output = ranges.get(silu.output);
      if (!input || !output || plan.aliases.has(silu.tensor)) continue;
      ranges.set(silu.tensor, siluInputRange(input, output, settings.activationType));
      narrowed++;
    }
  }
  // Derived after narrowing, so that a Sigmoid's output range follows its (narrowed) input's.
  for (const [t, d] of derived) ranges.set(t, derivedRange(ranges.get(d.input)!, d.f));
  return { ranges, narrowed };
}

/** Op type → how many more nodes of it the quantized graph has (QuantizeLinear, DequantizeLinear). */
function insertedOps(before: readonly NodeProto[], after: readonly NodeProto[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of after) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  for (const n of before) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) - 1;
  return Object.fromEntries(Object.entries(counts).filter(([, c]) => c > 0));
}

/**
 * `--mode static` as the CLI and the run pipeline pass it: {@link StaticQuantizeOptions} with the calibration
 * given as a folder and its data rules (or as `calibrationData` from an earlier run).
 */
export interface StaticModeOptions extends Omit<StaticQuantizeOptions, 'calibration'>, CommonModeOptions {
  /** Image folder to calibrate on. */
  calib?: string;
  /** Use at most this many calibration images. */
  calibLimit?: number;
  /** How an image becomes the model's feeds (the model contract's); default: the YOLO letterbox. */
  calibFeeds?: FeedBuilder;
  /** Share (0..1) of unreadable calibration images tolerated before failing. */
  maxBad?: number;
  /** Fail on the first unreadable calibration image. */
  strict?: boolean;
  /** Op types to quantize when `ops` is not given (the shared `--op-types`). */
  opTypes?: string[];
  /** Run `edgeopt optimize`'s exact default rewrites first (DFL softmax on the last axis, …); default false. */
  exactRewrites?: boolean;
}


/** `maxBad` (share 0..1) and `strict` for the calibration images; each skipped image is warned about on `progress`. */
function calibrationQuality(options: StaticModeOptions): DataQualityOptions {
  const { maxBad } = options;
  if (maxBad !== undefined && !(maxBad >= 0 && maxBad <= 1)) throw new EdgeoptError('maxBad must be a share from 0 to 1');
  return { maxBad, strict: options.strict === true, onWarning: (line) => options.progress?.warn(line) };
}

/** The {@link quantizeStatic} options a `--mode static` request stands for (also used by mixed precision). */
export function staticQuantizeOptions(options: StaticModeOptions): StaticQuantizeOptions {
  const { calib, calibLimit, calibFeeds, maxBad: _maxBad, strict: _strict, opTypes, exactRewrites: _rewrites, ...quantize } = options;
  if (calibLimit !== undefined && !(Number.isInteger(calibLimit) && calibLimit > 0)) {
    throw new EdgeoptError('calibLimit must be a positive integer');
  }
  return {
    ...quantize,
    calibration: calib ? { imageDir: calib, limit: calibLimit, feeds: calibFeeds, quality: calibrationQuality(options) } : undefined,
    ops: quantize.ops ?? opTypes,
  };
}

/** `modes.static`: {@link quantizeStatic} on a `--mode static` request. */
export async function staticMode(model: LoadedModel, options: StaticModeOptions): Promise<StaticQuantizeResult> {
  if (!options.exactRewrites) return quantizeStatic(model, staticQuantizeOptions(options));
  const optimized = optimizeGraph(model);
  const applied = optimized.report.applied.filter((a) => a.matches > 0).map((a) => `${a.rewrite} (${a.matches})`);
  const result = await quantizeStatic(optimized.model, staticQuantizeOptions(options));
  if (applied.length > 0) result.report.notes.unshift(`exact rewrites first: ${applied.join(', ')}`);
  return result;
}

/**
 * The same calibration images without their warnings: bias correction re-reads the first few files that calibration
 * has already read, skipped where bad, warned about and counted once.
 */
function quietSource(source: CalibrationSource): CalibrationSource {
  if (Symbol.asyncIterator in source) return source;
  return { ...source, quality: { ...source.quality, onWarning: undefined } };
}
