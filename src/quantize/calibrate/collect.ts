import * as ort from 'onnxruntime-node';
import { openSession, type SessionConfig } from '../../bench/session.js';
import { makeValueInfo } from '../../onnx/builder.js';
import { encodeModel } from '../../onnx/model-io.js';
import { DataType, type LoadedModel } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';
import { ActivationStats, DEFAULT_HISTOGRAM_BINS } from './histogram.js';

/** One calibration sample: the model input tensor's data (shape from the model's input). */
export type CalibrationSample = Float32Array;

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

/** The model's single float input: name and static NCHW shape (calibration needs concrete sizes). */
export function modelInputShape(model: LoadedModel): { name: string; dims: number[] } {
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const inputs = model.graph.input.filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) {
    throw new EdgeoptError(`static quantization supports models with one input; this model has ${inputs.length}`);
  }
  const input = inputs[0]!;
  const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue === undefined ? Number.NaN : Number(d.dimValue)));
  if (dims.length === 0 || dims.some((d) => !(d > 0))) {
    throw new EdgeoptError(`input '${input.name}' has a dynamic or unknown shape [${dims.join(',')}]; calibration needs a fixed input size`);
  }
  if (input.type?.tensorType?.elemType !== DataType.FLOAT) {
    throw new EdgeoptError(`input '${input.name}' is not float32; static quantization expects a float32 model`);
  }
  return { name: input.name ?? '', dims };
}

/**
 * A copy of the model whose graph also outputs the requested intermediate tensors (as float32), so one
 * inference yields every activation the quantizer needs a range for.
 */
export function augmentWithOutputs(model: LoadedModel, tensors: readonly string[]): LoadedModel {
  const existing = new Set(model.graph.output.map((o) => o.name));
  const extra = tensors.filter((t) => !existing.has(t)).map((t) => makeValueInfo(t, DataType.FLOAT));
  return { ...model, graph: { ...model.graph, output: [...model.graph.output, ...extra] } };
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
  const input = modelInputShape(model);
  const expected = input.dims.reduce((a, b) => a * b, 1);
  const augmented = augmentWithOutputs(model, tensors);
  const { session } = await openSession(encodeModel(augmented), {
    graphOptimizationLevel: 'all',
    intraOpThreads: 1,
    ...options.session,
  });
  const stats = new Map(tensors.map((t) => [t, new ActivationStats(options.histogramBins ?? DEFAULT_HISTOGRAM_BINS)]));
  const start = performance.now();
  let count = 0;
  const iterator = samples[Symbol.asyncIterator]();
  const startRun = async (): Promise<ort.InferenceSession.ReturnType | undefined> => {
    const next = await iterator.next();
    if (next.done) return undefined;
    const sample = next.value;
    if (sample.length !== expected) {
      throw new EdgeoptError(`calibration sample ${count + 1} has ${sample.length} values; input '${input.name}' [${input.dims.join(',')}] needs ${expected}`);
    }
    return session.run({ [input.name]: new ort.Tensor('float32', sample, input.dims) }, [...tensors]);
  };
  // onnxruntime runs inference off the JS thread: the next sample's inference overlaps this sample's
  // histogram updates, which take about as long (hence one intra-op thread by default on 2 cores).
  let pending = startRun();
  try {
    for (;;) {
      const outputs = await pending;
      if (!outputs) break;
      pending = startRun();
      pending.catch(() => undefined); // surfaced by the next await; avoids an unhandled rejection meanwhile
      for (const name of tensors) {
        const value = outputs[name];
        if (!value || value.type !== 'float32') {
          throw new EdgeoptError(`calibration: tensor '${name}' is not a float32 output of the model`);
        }
        stats.get(name)!.update(value.data as Float32Array);
        value.dispose();
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
