import { ortNodeRuntime } from '../runtime/ort-node.js';
import type { SessionConfig } from '../runtime/runtime.js';
import { encodeModel } from '../onnx/model-io.js';
import { floatData } from '../runtime/tensors.js';
import { topologicalSort, indexGraph } from '../onnx/graph.js';
import type { LoadedModel, NodeProto } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { silentProgress, type Progress } from '../util/progress.js';
import { listCalibrationImages, modelInputShape, YOLO_CALIBRATION_PREPROCESSING, type CalibrationData } from './calibrate/index.js';
import { calibrateStatic, quantizeStatic, type StaticQuantizeOptions, type StaticQuantizeResult } from './static/index.js';

/**
 * Accuracy-aware mixed precision: quantize everything the options allow, rank conv blocks by how much output
 * fidelity returning each to float recovers (cheap: a few images), then return blocks to float in that order,
 * confirming with the injected accuracy evaluation, until the mAP drop is within the target.
 * The evaluation is a callback so that this stage never imports the eval stage.
 */
export interface MixedPrecisionOptions {
  /** How to quantize (calibration source or data, method, head/stem exclusions …). */
  quantize: StaticQuantizeOptions;
  /** Accuracy of a model (mAP50-95 in points, e.g. 38.3). */
  evaluate: (model: LoadedModel) => Promise<number>;
  /** Accuracy of the float model, measured by the same `evaluate`. */
  baselineMap: number;
  /** Largest acceptable drop in mAP points. */
  maxDrop: number;
  /** Latency of a model in ms (optional): measured for the fully quantized and the final model. */
  measureLatency?: (model: LoadedModel) => Promise<number>;
  /** Inputs for the fidelity ranking; default: the first `fidelityImages` calibration images. */
  fidelitySamples?: Float32Array[];
  fidelityImages?: number;
  /** Rank only the last N conv blocks (closest to the output, usually the most sensitive); default all. */
  maxCandidates?: number;
  /** At most this many accuracy evaluations after the first (default 8). */
  maxSteps?: number;
  progress?: Progress;
}

export interface BlockSensitivity {
  /** The block's conv node name (its SiLU nodes follow it to float). */
  block: string;
  nodes: string[];
  /** Relative output error (per output channel) with only this block quantized (higher = more harmful). */
  fidelityGain: number;
}

export interface MixedPrecisionStep {
  floatBlocks: string[];
  map: number;
  drop: number;
}

export interface MixedPrecisionReport {
  schemaVersion: 1;
  baselineMap: number;
  maxDrop: number;
  /** Whether the final model is within `maxDrop`. */
  met: boolean;
  fullyQuantized: { map: number; drop: number; latencyMs?: number; relativeError: number };
  final: { map: number; drop: number; latencyMs?: number; floatBlocks: string[]; floatNodes: string[] };
  /** Latency the float blocks cost (final − fully quantized), when latency was measured. */
  latencyCostMs?: number;
  sensitivity: BlockSensitivity[];
  steps: MixedPrecisionStep[];
  evaluations: number;
}

const SILU_PARTS = new Set(['Sigmoid', 'Mul']);

/** Conv blocks among the quantized nodes: each Conv with the Sigmoid/Mul that read its output (its SiLU). */
function convBlocks(model: LoadedModel, quantizedNames: Set<string>): Array<{ block: string; nodes: string[] }> {
  const index = indexGraph(model.graph);
  const blocks: Array<{ block: string; nodes: string[] }> = [];
  for (const node of topologicalSort(model.graph)) {
    if (node.opType !== 'Conv' || !quantizedNames.has(node.name ?? '')) continue;
    const nodes = [node.name ?? ''];
    const out = node.output[0]!;
    const consumers = index.consumers.get(out) ?? [];
    const sigmoid = consumers.find((c) => c.opType === 'Sigmoid');
    const mul = consumers.find((c: NodeProto) => c.opType === 'Mul' && sigmoid && c.input.includes(sigmoid.output[0]!));
    for (const part of [sigmoid, mul]) if (part && SILU_PARTS.has(part.opType ?? '') && quantizedNames.has(part.name ?? '')) nodes.push(part.name ?? '');
    blocks.push({ block: node.name ?? '', nodes });
  }
  return blocks;
}

/** One model output: its values and dims. */
interface Output {
  data: Float32Array;
  dims: readonly number[];
}

async function runOutputs(model: LoadedModel, samples: Float32Array[], config?: SessionConfig): Promise<Output[][]> {
  const { name, dims } = modelInputShape(model);
  const session = await ortNodeRuntime.open(encodeModel(model), { graphOptimizationLevel: 'all', ...config });
  try {
    const results: Output[][] = [];
    for (const sample of samples) {
      const outputs = await session.run({ [name]: { type: 'float32', data: sample, dims } });
      results.push(session.outputs.map((o) => ({ data: floatData(outputs[o.name]!, `output '${o.name}'`), dims: outputs[o.name]!.dims })));
    }
    return results;
  } finally {
    await session.release();
  }
}

/**
 * The channel axis of a detector output: the shortest non-batch axis (84 of [1,84,8400], 85 of
 * [1,25200,85]). Errors are normalised per channel, so that 80 class-score channels in [0,1] weigh
 * as much as they do for mAP, instead of being drowned by 4 box channels in pixels.
 */
function channelAxis(dims: readonly number[]): number {
  let axis = dims.length - 1;
  for (let a = 1; a < dims.length; a++) if (dims[a]! > 1 && dims[a]! < dims[axis]!) axis = a;
  return axis;
}

/** Mean over samples, outputs and output channels of ||q − f|| / ||f||. */
function relativeError(reference: Output[][], actual: Output[][]): number {
  let sum = 0;
  let count = 0;
  reference.forEach((outputs, s) =>
    outputs.forEach((ref, o) => {
      const got = actual[s]![o]!.data;
      const axis = channelAxis(ref.dims);
      const channels = ref.dims[axis] ?? 1;
      const inner = ref.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      const num = new Float64Array(channels);
      const den = new Float64Array(channels);
      for (let i = 0; i < ref.data.length; i++) {
        const c = Math.floor(i / inner) % channels;
        const d = got[i]! - ref.data[i]!;
        num[c] += d * d;
        den[c] += ref.data[i]! * ref.data[i]!;
      }
      for (let c = 0; c < channels; c++) {
        sum += Math.sqrt(num[c]! / Math.max(den[c]!, 1e-30));
        count++;
      }
    }),
  );
  return count > 0 ? sum / count : 0;
}

async function defaultFidelitySamples(model: LoadedModel, options: MixedPrecisionOptions): Promise<Float32Array[]> {
  const source = options.quantize.calibration;
  if (!source || Symbol.asyncIterator in source) {
    throw new EdgeoptError('mixed precision needs fidelitySamples when calibration is not an image folder');
  }
  const dims = modelInputShape(model).dims;
  const size = { width: dims[dims.length - 1]!, height: dims[dims.length - 2]! };
  const files = listCalibrationImages(source.imageDir, options.fidelityImages ?? 4);
  const preprocessing = source.preprocessing ?? YOLO_CALIBRATION_PREPROCESSING;
  return Promise.all(files.map(async (f) => (await preprocessing.load(f, size)).data));
}

export async function mixedPrecisionSearch(
  model: LoadedModel,
  options: MixedPrecisionOptions,
): Promise<{ model: LoadedModel; quantizeReport: StaticQuantizeResult['report']; report: MixedPrecisionReport }> {
  if (typeof options.evaluate !== 'function') throw new EdgeoptError('mixed precision needs an evaluate callback');
  if (!(typeof options.maxDrop === 'number' && options.maxDrop >= 0)) throw new EdgeoptError(`maxDrop must be a number of mAP points >= 0, got ${String(options.maxDrop)}`);
  if (!Number.isFinite(options.baselineMap)) throw new EdgeoptError('baselineMap must be a number');
  const maxSteps = options.maxSteps ?? 8;
  if (!(Number.isInteger(maxSteps) && maxSteps >= 0)) throw new EdgeoptError('maxSteps must be an integer >= 0');
  const progress = options.progress ?? silentProgress;

  const calibrationData: CalibrationData =
    options.quantize.calibrationData ??
    (await calibrateStatic(model, options.quantize.calibration ?? missingCalibration(), { session: options.quantize.calibrationSession, progress }));
  const userExclude = options.quantize.exclude ?? [];
  const build = (floatNodes: string[]) =>
    quantizeStatic(model, { ...options.quantize, calibrationData, exclude: [...userExclude, ...floatNodes] });

  const full = await build([]);
  const fullMap = await options.evaluate(full.model);
  let evaluations = 1;
  const fullLatency = options.measureLatency ? await options.measureLatency(full.model) : undefined;
  const samples = options.fidelitySamples ?? (await defaultFidelitySamples(model, options));
  const sessionConfig = options.quantize.calibrationSession;
  const reference = await runOutputs(model, samples, sessionConfig);
  const fullError = relativeError(reference, await runOutputs(full.model, samples, sessionConfig));
  progress.step(`fully quantized: mAP ${fullMap.toFixed(2)} (baseline ${options.baselineMap.toFixed(2)}), relative output error ${fullError.toFixed(4)}`);

  const steps: MixedPrecisionStep[] = [];
  let sensitivity: BlockSensitivity[] = [];
  let chosen: BlockSensitivity[] = [];
  let current = full;
  let currentMap = fullMap;
  if (options.baselineMap - fullMap > options.maxDrop) {
    const quantizedNames = new Set(quantizedNodeNames(model, full));
    let blocks = convBlocks(model, quantizedNames);
    if (options.maxCandidates !== undefined) blocks = blocks.slice(Math.max(0, blocks.length - options.maxCandidates));
    // Each block's harm measured on its own: only that conv block quantized, the other conv blocks in float.
    // (Un-quantizing one block of a fully quantized model hides its effect under everyone else's noise.)
    const everyBlock = blocks.flatMap((b) => b.nodes);
    for (const [i, block] of blocks.entries()) {
      const own = new Set(block.nodes);
      const variant = await build(everyBlock.filter((n) => !own.has(n)));
      const error = relativeError(reference, await runOutputs(variant.model, samples, sessionConfig));
      sensitivity.push({ ...block, fidelityGain: error });
      progress.tick('ranking layers', i + 1, blocks.length);
    }
    sensitivity = sensitivity.sort((a, b) => b.fidelityGain - a.fidelityGain);
    const harmful = sensitivity.filter((s) => s.fidelityGain > 0);
    for (let k = 1; k <= harmful.length && steps.length < maxSteps; k++) {
      const candidate = harmful.slice(0, k);
      const variant = await build(candidate.flatMap((c) => c.nodes));
      const map = await options.evaluate(variant.model);
      evaluations++;
      steps.push({ floatBlocks: candidate.map((c) => c.block), map, drop: options.baselineMap - map });
      progress.step(`${k} block(s) in float: mAP ${map.toFixed(2)}`);
      if (map > currentMap || options.baselineMap - map <= options.maxDrop) {
        current = variant;
        currentMap = map;
        chosen = candidate;
      }
      if (options.baselineMap - map <= options.maxDrop) break;
    }
  }
  const finalLatency = options.measureLatency && current !== full ? await options.measureLatency(current.model) : fullLatency;
  const report: MixedPrecisionReport = {
    schemaVersion: 1,
    baselineMap: options.baselineMap,
    maxDrop: options.maxDrop,
    met: options.baselineMap - currentMap <= options.maxDrop,
    fullyQuantized: { map: fullMap, drop: options.baselineMap - fullMap, latencyMs: fullLatency, relativeError: fullError },
    final: {
      map: currentMap,
      drop: options.baselineMap - currentMap,
      latencyMs: finalLatency,
      floatBlocks: chosen.map((c) => c.block),
      floatNodes: chosen.flatMap((c) => c.nodes),
    },
    latencyCostMs: fullLatency !== undefined && finalLatency !== undefined ? finalLatency - fullLatency : undefined,
    sensitivity,
    steps,
    evaluations,
  };
  return { model: current.model, quantizeReport: current.report, report };
}

function missingCalibration(): never {
  throw new EdgeoptError('mixed precision needs calibration data (quantize.calibration or quantize.calibrationData)');
}

/** Names of the nodes a static result quantized: every node with a rule minus those it kept float. */
function quantizedNodeNames(model: LoadedModel, result: StaticQuantizeResult): string[] {
  const float = new Set(result.report.skipped.map((s) => s.node));
  const ops = new Set(Object.keys(result.report.quantized));
  return model.graph.node.filter((n) => ops.has(n.opType ?? '') && !float.has(n.name ?? '')).map((n) => n.name ?? '');
}
