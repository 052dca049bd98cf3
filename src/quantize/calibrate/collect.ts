import { makeValueInfo } from '../../onnx/builder.js';
import { encodeModel } from '../../onnx/model-io.js';
import { inferShapes } from '../../onnx/shapes.js';
import { dataTypeName } from '../../onnx/tensor.js';
import { DataType, type LoadedModel } from '../../onnx/types.js';
import { ortNodeRuntime } from '../../runtime/ort-node.js';
import type { PlainTensor, SessionConfig } from '../../runtime/runtime.js';
import { EdgeoptError } from '../../util/errors.js';
import { feedInputs, imageInput, type FeedInput, type FeedRecord } from './feeds.js';
import { ActivationStats, DEFAULT_HISTOGRAM_BINS } from './histogram.js';

/**
 * One calibration sample: a complete feed record (every model input), or — for single-image models — just the image
 * input's data (its shape from the model).
 */
export type CalibrationSample = FeedRecord | Float32Array;

export interface CollectOptions {
  /** Session settings for the calibration runs (default: one intra-op thread, full optimization). */
  session?: SessionConfig;
  histogramBins?: number;
  /** Called after each sample with the number processed so far. */
  onSample?: (done: number) => void;
}

export interface CollectedStats {
  stats: Map<string, ActivationStats>;
  samples: number;
  /** Wall time of the inference + statistics loop. */
  seconds: number;
}

/** The model's image input: name and concrete dims (see {@link imageInput}; other inputs are allowed). */
export function modelInputShape(model: LoadedModel): { name: string; dims: number[] } {
  const input = imageInput(model);
  return { name: input.name, dims: input.dims };
}

/**
 * A copy of the model whose graph also outputs the requested intermediate tensors, declared with their real
 * element types (an int64 shape tensor declared float makes onnxruntime refuse the model).
 */
export function augmentWithOutputs(model: LoadedModel, tensors: readonly string[]): LoadedModel {
  const existing = new Set(model.graph.output.map((o) => o.name));
  const types = inferShapes(model);
  const extra = tensors.filter((t) => !existing.has(t)).map((t) => makeValueInfo(t, types.get(t)?.dataType || DataType.FLOAT));
  return { ...model, graph: { ...model.graph, output: [...model.graph.output, ...extra] } };
}

/** Float32 tensors only: statistics are of float activations, and the quantization plan asks for nothing else. */
function checkFloatTensors(model: LoadedModel, tensors: readonly string[]): void {
  const types = inferShapes(model);
  const other = tensors.filter((t) => {
    const type = types.get(t)?.dataType;
    return type !== undefined && type !== DataType.FLOAT;
  });
  if (other.length > 0) {
    const t = other[0]!;
    throw new EdgeoptError(`calibration: tensor '${t}' is ${dataTypeName(types.get(t)!.dataType)}, not a float32 activation (${other.length} such tensor(s) requested)`);
  }
}

/** A sample as runtime feeds, checked against the model's inputs. */
function toFeeds(sample: CalibrationSample, inputs: readonly FeedInput[], image: string | undefined, index: number): Record<string, PlainTensor> {
  const record: FeedRecord = sample instanceof Float32Array
    ? { [image ?? '']: { type: 'float32', dims: inputs.find((i) => i.name === image)?.dims ?? [], data: sample } }
    : sample;
  if (sample instanceof Float32Array && (inputs.length !== 1 || !image)) {
    throw new EdgeoptError(`calibration sample ${index} is a bare tensor, but the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}): give feed records`);
  }
  const feeds: Record<string, PlainTensor> = {};
  for (const input of inputs) {
    const tensor = record[input.name];
    if (!tensor) throw new EdgeoptError(`calibration sample ${index} has no value for input '${input.name}'`);
    const expected = input.dims.reduce((a, b) => a * b, 1);
    if (tensor.data.length !== expected || tensor.type !== input.type) {
      throw new EdgeoptError(`calibration sample ${index} gives input '${input.name}' ${tensor.type} with ${tensor.data.length} values; it needs ${input.type} [${input.dims.join(',')}] (${expected} values)`);
    }
    feeds[input.name] = { type: tensor.type, data: tensor.data, dims: input.dims };
  }
  return feeds;
}

/**
 * Runs the model on every sample and accumulates per-tensor statistics. Samples are consumed one at a time
 * and each output is folded into its histogram and released, so memory stays flat however many samples come.
 */
export async function collectActivationStats(
  model: LoadedModel,
  tensors: readonly string[],
  samples: AsyncIterable<CalibrationSample>,
  options: CollectOptions = {},
): Promise<CollectedStats> {
  checkFloatTensors(model, tensors);
  const inputs = feedInputs(model);
  const image = inputs.find((i) => i.layout !== undefined)?.name ?? (inputs.length === 1 ? inputs[0]!.name : undefined);
  // Graph inputs are read from the feeds themselves; everything else is fetched from the run.
  const inputNames = new Set(inputs.map((i) => i.name));
  const fetched = tensors.filter((t) => !inputNames.has(t));
  const augmented = augmentWithOutputs(model, fetched);
  const session = await ortNodeRuntime.open(encodeModel(augmented), {
    graphOptimizationLevel: 'all',
    intraOpThreads: 1,
    ...options.session,
  });
  const stats = new Map(tensors.map((t) => [t, new ActivationStats(options.histogramBins ?? DEFAULT_HISTOGRAM_BINS)]));
  const start = performance.now();
  let count = 0;
  const iterator = samples[Symbol.asyncIterator]();
  const startRun = async (): Promise<{ feeds: Record<string, PlainTensor>; outputs: Record<string, PlainTensor> } | undefined> => {
    const next = await iterator.next();
    if (next.done) return undefined;
    const feeds = toFeeds(next.value, inputs, image, count + 1);
    return { feeds, outputs: fetched.length > 0 ? await session.run(feeds, fetched) : {} };
  };
  // onnxruntime runs inference off the JS thread: the next sample's inference overlaps this sample's
  // histogram updates, which take about as long (hence one intra-op thread by default on 2 cores).
  let pending = startRun();
  try {
    for (;;) {
      const result = await pending;
      if (!result) break;
      pending = startRun();
      pending.catch(() => undefined); // surfaced by the next await; avoids an unhandled rejection meanwhile
      for (const name of tensors) {
        const value = result.outputs[name] ?? result.feeds[name];
        if (!value || value.type !== 'float32') {
          throw new EdgeoptError(`calibration: tensor '${name}' is not a float32 output of the model`);
        }
        stats.get(name)!.update(value.data as Float32Array);
      }
      count++;
      options.onSample?.(count);
    }
  } finally {
    await pending.catch(() => undefined); // never release the session under a running inference
    await iterator.return?.();
    await session.release();
  }
  if (count === 0) throw new EdgeoptError('calibration got no samples (empty image folder?)');
  return { stats, samples: count, seconds: (performance.now() - start) / 1000 };
}
