import { ortNodeRuntime } from '../runtime/ort-node.js';
import type { PlainTensor, SessionConfig } from '../runtime/runtime.js';
import { encodeModel } from '../onnx/model-io.js';
import type { LoadedModel } from '../onnx/types.js';
import { augmentWithOutputs } from './calibrate/collect.js';
import type { FeedRecord } from './calibrate/feeds.js';

/** One model output of one sample, as plain data. */
export interface PlainOutput {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

/**
 * Runs a model on fixed feed records and hands each sample's requested tensors (default: the graph outputs) to
 * `visit`, which must not keep them: they are released after the call, so memory stays at one sample's outputs.
 * Intermediate tensors are fetched by declaring them graph outputs (which also keeps onnxruntime from fusing
 * the node that produces them: bias correction relies on that to read a conv's float result before requantization).
 */
export async function visitOutputs(
  model: LoadedModel,
  samples: readonly FeedRecord[],
  visit: (sample: number, outputs: PlainOutput[]) => void,
  options: { fetch?: readonly string[]; session?: SessionConfig } = {},
): Promise<void> {
  const declared = options.fetch ? augmentWithOutputs(model, options.fetch) : model;
  const session = await ortNodeRuntime.open(encodeModel(declared), { graphOptimizationLevel: 'all', intraOpThreads: 1, ...options.session });
  const names = options.fetch ? [...options.fetch] : session.outputs.map((o) => o.name);
  try {
    for (const [i, record] of samples.entries()) {
      const feeds: Record<string, PlainTensor> = {};
      for (const [name, t] of Object.entries(record)) feeds[name] = { type: t.type, dims: [...t.dims], data: t.data } as PlainTensor;
      const result = await session.run(feeds, names);
      visit(i, names.map((name) => ({ name, dims: result[name]!.dims, data: asFloat32(result[name]!.data) })));
    }
  } finally {
    await session.release();
  }
}

/** Every sample's graph outputs, copied (for the FP32 reference that each candidate is compared with). */
export async function collectOutputs(model: LoadedModel, samples: readonly FeedRecord[], session?: SessionConfig): Promise<PlainOutput[][]> {
  const all: PlainOutput[][] = [];
  await visitOutputs(model, samples, (_, outputs) => all.push(outputs.map((o) => ({ ...o, data: o.data.slice() }))), { session });
  return all;
}

function asFloat32(data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float32Array.from(data, (v) => Number(v));
  return Float32Array.from(data as ArrayLike<number>);
}
