import { readFile } from 'node:fs/promises';
import type { LoadedModel } from '../onnx/types.js';
import { optimizeGraph, resolveRewrites } from '../optimize/index.js';
import { EdgeoptError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { Progress } from '../util/progress.js';
import type { SessionConfig } from '../runtime/runtime.js';
import type { CalibrationSource } from './calibrate/index.js';
import { CALIBRATION_METHODS, type CalibrationMethod, type TensorRange } from './calibrate/methods.js';
import { QUANT_TYPES, type QuantType } from './math.js';
import { quantizeStatic, type StaticQuantizeOptions, type StaticQuantizeResult } from './static/index.js';
import type { BiasCorrections } from './static/bias-correction.js';

/**
 * A static INT8 configuration as a readable record: which exact rewrites run first, which nodes stay float and why,
 * how each tensor was calibrated and the range it got, which Concats share a scale, and the bias corrections. It is
 * what `quantize --mode auto` found and what `quantize --recipe` applies: with the stored ranges the same model comes
 * out byte for byte, with no calibration images; with `--calib` the recipe's methods are re-applied to new images.
 */
export const RECIPE_SCHEMA_VERSION = 1;

export interface RecipeFloatNode {
  node: string;
  /** Why it stays float (head decoding, slower in int8 here, harmful to accuracy per millisecond, …). */
  reason: string;
}

export interface RecipeTensor {
  /** How the range was chosen (the default method, or a per-tensor choice of the search). */
  method: CalibrationMethod | 'derived' | 'narrowed' | 'shared';
  percentile?: number;
  min: number;
  max: number;
}

export interface QuantizationRecipe {
  schemaVersion: 1;
  kind: 'edgeopt-int8-recipe';
  /** The model it was found for (a recipe applied to another model is refused unless its nodes match). */
  model: { name: string; nodes: number };
  /** Where it was found: a recipe is a per-device answer. */
  foundOn?: { cpu: string; runtime: string; threads: number };
  rewrites: string[];
  activationType: QuantType;
  perChannel: boolean;
  calibration: {
    method: CalibrationMethod;
    percentile?: number;
    /** Per-tensor methods that differ from the default. */
    overrides: Record<string, { method: CalibrationMethod; percentile?: number }>;
    source?: string;
    samples?: number;
  };
  siluAwareRanges: boolean;
  /** Concats whose inputs and output share one scale: their names, or true for every quantized Concat. */
  sharedScaleConcats: true | string[];
  float: RecipeFloatNode[];
  /** Conv → per-channel bias shift; omitted when bias correction was off. */
  biasCorrections?: BiasCorrections;
  /** Final range of every quantized tensor. */
  tensors: Record<string, RecipeTensor>;
  /** What the search measured for it (copied into results.json and the report). */
  measured?: Record<string, unknown>;
}

export interface RecipeChoice {
  rewrites: string[];
  activationType: QuantType;
  perChannel: boolean;
  method: CalibrationMethod;
  percentile?: number;
  overrides: Record<string, { method: CalibrationMethod; percentile?: number }>;
  siluAwareRanges: boolean;
  sharedScaleConcats: true | string[];
  float: RecipeFloatNode[];
  biasCorrection: boolean | BiasCorrections;
}

/** The static quantizer's options for a choice on the (already rewritten) graph. */
export function staticOptionsFor(choice: RecipeChoice): StaticQuantizeOptions {
  return {
    method: choice.method,
    percentile: choice.percentile,
    activationType: choice.activationType,
    perChannel: choice.perChannel,
    ops: 'all',
    excludeHead: false,
    skipStem: false,
    exclude: choice.float.map((f) => f.node),
    tensorCalibration: choice.overrides,
    siluAwareRanges: choice.siluAwareRanges,
    sharedScaleConcats: choice.sharedScaleConcats,
    biasCorrection: choice.biasCorrection,
  };
}

/** The rewritten graph a recipe starts from. */
export function applyRewrites(model: LoadedModel, rewrites: readonly string[]): LoadedModel {
  return rewrites.length === 0 ? model : optimizeGraph(model, { rewrites: resolveRewrites(rewrites) }).model;
}

/** The recipe describing a static result built from `choice` on `model` (the rewritten graph). */
export function recipeFromResult(name: string, choice: RecipeChoice, result: StaticQuantizeResult, nodesBefore: number): QuantizationRecipe {
  const s = result.report.static;
  const tensors: Record<string, RecipeTensor> = {};
  for (const [t, a] of Object.entries(s.activations)) {
    const how = choice.overrides[t] ?? { method: choice.method, percentile: choice.percentile };
    tensors[t] = { method: how.method, ...(how.method === 'percentile' ? { percentile: how.percentile } : {}), min: a.min, max: a.max };
  }
  return {
    schemaVersion: RECIPE_SCHEMA_VERSION,
    kind: 'edgeopt-int8-recipe',
    model: { name, nodes: nodesBefore },
    rewrites: [...choice.rewrites],
    activationType: choice.activationType,
    perChannel: choice.perChannel,
    calibration: { method: choice.method, percentile: choice.percentile, overrides: choice.overrides, source: s.calibration.source, samples: s.calibration.samples },
    siluAwareRanges: choice.siluAwareRanges,
    sharedScaleConcats: choice.sharedScaleConcats === true ? true : [...choice.sharedScaleConcats],
    float: choice.float,
    ...(s.biasCorrections ? { biasCorrections: s.biasCorrections } : {}),
    tensors,
  };
}

/**
 * Applies a recipe to a model: its rewrites, then static INT8 with its float nodes, shared scales and bias shifts,
 * and either its stored ranges (default: the same model again) or, given `calibration`, ranges re-calibrated by its
 * methods on new images.
 */
export async function quantizeWithRecipe(model: LoadedModel, recipe: QuantizationRecipe, options: { calibration?: CalibrationSource; progress?: Progress; calibrationSession?: SessionConfig } = {}): Promise<StaticQuantizeResult> {
  if (recipe.model.nodes !== model.graph.node.length) {
    throw new EdgeoptError(`recipe was found for '${recipe.model.name}' (${recipe.model.nodes} nodes), this model has ${model.graph.node.length}: a recipe applies to the model it was found for`);
  }
  const rewritten = applyRewrites(model, recipe.rewrites);
  const base = staticOptionsFor({
    rewrites: recipe.rewrites,
    activationType: recipe.activationType,
    perChannel: recipe.perChannel,
    method: recipe.calibration.method,
    percentile: recipe.calibration.percentile,
    overrides: recipe.calibration.overrides,
    siluAwareRanges: recipe.siluAwareRanges,
    sharedScaleConcats: recipe.sharedScaleConcats,
    float: recipe.float,
    biasCorrection: options.calibration ? (recipe.biasCorrections ? true : false) : (recipe.biasCorrections ?? false),
  });
  const ranges: Record<string, TensorRange> = Object.fromEntries(Object.entries(recipe.tensors).map(([t, r]) => [t, { min: r.min, max: r.max }]));
  const common = { ...base, progress: options.progress, calibrationSession: options.calibrationSession };
  return quantizeStatic(rewritten, options.calibration ? { ...common, calibration: options.calibration } : { ...common, fixedRanges: ranges });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed recipe, one clear sentence for the first problem found. */
export function parseRecipe(json: unknown, source = 'recipe'): QuantizationRecipe {
  const fail = (what: string): never => {
    throw new EdgeoptError(`${source} is not a valid edgeopt recipe: ${what}`);
  };
  if (!isObject(json)) fail('not a JSON object');
  const r = json as Record<string, unknown>;
  if (r.kind !== 'edgeopt-int8-recipe') fail(`kind must be 'edgeopt-int8-recipe'`);
  if (r.schemaVersion !== RECIPE_SCHEMA_VERSION) fail(`schemaVersion ${String(r.schemaVersion)} is not supported (this edgeopt reads ${RECIPE_SCHEMA_VERSION})`);
  if (!isObject(r.model) || typeof r.model.name !== 'string' || !Number.isInteger(r.model.nodes)) fail('model must be { name, nodes }');
  if (!Array.isArray(r.rewrites) || r.rewrites.some((x) => typeof x !== 'string')) fail('rewrites must be a list of rewrite names');
  try {
    if ((r.rewrites as string[]).length > 0) resolveRewrites(r.rewrites as string[]);
  } catch (err) {
    fail((err as Error).message);
  }
  if (!QUANT_TYPES.includes(r.activationType as QuantType)) fail(`activationType must be ${QUANT_TYPES.join(' or ')}`);
  if (typeof r.perChannel !== 'boolean') fail('perChannel must be true or false');
  const c = r.calibration;
  if (!isObject(c) || !CALIBRATION_METHODS.includes(c.method as CalibrationMethod) || !isObject(c.overrides)) fail('calibration must be { method, overrides }');
  for (const [t, o] of Object.entries((c as Record<string, Record<string, unknown>>).overrides)) {
    if (!isObject(o) || !CALIBRATION_METHODS.includes(o.method as CalibrationMethod)) fail(`calibration override for '${t}' has no valid method`);
  }
  if (typeof r.siluAwareRanges !== 'boolean') fail('siluAwareRanges must be true or false');
  if (r.sharedScaleConcats !== true && (!Array.isArray(r.sharedScaleConcats) || r.sharedScaleConcats.some((x) => typeof x !== 'string'))) fail('sharedScaleConcats must be true or a list of Concat node names');
  if (!Array.isArray(r.float) || r.float.some((f) => !isObject(f) || typeof f.node !== 'string')) fail('float must be a list of { node, reason }');
  if (r.biasCorrections !== undefined) {
    if (!isObject(r.biasCorrections) || Object.values(r.biasCorrections).some((v) => !Array.isArray(v) || v.some((x) => typeof x !== 'number'))) fail('biasCorrections must map conv names to lists of numbers');
  }
  if (!isObject(r.tensors)) fail('tensors must map tensor names to { method, min, max }');
  for (const [t, v] of Object.entries(r.tensors as Record<string, unknown>)) {
    if (!isObject(v) || !Number.isFinite(v.min) || !Number.isFinite(v.max) || (v.min as number) > 0 || (v.max as number) < 0) fail(`tensor '${t}' needs finite min ≤ 0 ≤ max`);
  }
  return json as unknown as QuantizationRecipe;
}

export async function readRecipe(path: string): Promise<QuantizationRecipe> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new EdgeoptError(`recipe not found: ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EdgeoptError(`recipe ${path} is not valid JSON`);
  }
  return parseRecipe(json, `recipe ${path}`);
}

export async function writeRecipe(path: string, recipe: QuantizationRecipe): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(recipe, null, 2)}\n`);
}
