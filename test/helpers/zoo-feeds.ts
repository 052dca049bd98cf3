import { contractFeedBuilder, modelSignature, parseContractFlags, resolveContract } from '../../src/eval/contract/index.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import { FidelityAccumulator } from '../../src/eval/fidelity.js';
import { encodeModel } from '../../src/onnx/model-io.js';
import type { LoadedModel, NodeProto } from '../../src/onnx/types.js';
import type { FeedBuilder, FeedRecord } from '../../src/quantize/calibrate/index.js';
import { float16BitsToFloat32 } from '../../src/util/float16.js';
import type { ZooModel } from './zoo.js';

/**
 * Calibration and comparison feeds for a zoo model, from its model contract (src/eval/contract): the `--preprocess`
 * flags its README calls for where the file does not say enough, nothing otherwise — through the contract's
 * calibration FeedBuilder, as `quantize --calib` feeds them.
 */
export const ZOO_PREPROCESS_FLAGS: Record<ZooModel, string | undefined> = {
  yolov10n_int8_640: undefined,
  picodet_s_320: undefined,
  picodet_xs_nms_320: undefined,
  yolofastestv2_352: 'resize=stretch,color=bgr',
  yolofastestv2_merged_352: 'resize=stretch,color=bgr',
  yolov5lite_e_320: 'resize=stretch',
};

export function zooFeeds(name: ZooModel, model: LoadedModel): FeedBuilder {
  return contractFeedBuilder(resolveContract(modelSignature(model), parseContractFlags({ preprocess: ZOO_PREPROCESS_FLAGS[name] })));
}

/** Runs a model on one feed record; returns every output as float32 values (other types converted). */
export async function runFeeds(model: LoadedModel | string, record: FeedRecord): Promise<Record<string, { data: Float64Array; dims: readonly number[] }>> {
  const session = await ortNodeRuntime.open(typeof model === 'string' ? model : encodeModel(model), { intraOpThreads: 1 });
  try {
    const out = await session.run(record);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => {
      // float16 arrives as its bit patterns
      const data = t.type === 'float16' ? Float64Array.from(t.data as Uint16Array, float16BitsToFloat32) : Float64Array.from(t.data as ArrayLike<number>, Number);
      return [k, { data, dims: t.dims }];
    }));
  } finally {
    await session.release();
  }
}

/** Cosine similarity and SQNR (dB) of a candidate output against a reference: edgeopt's fidelity on one tensor. */
export function fidelity(reference: ArrayLike<number>, candidate: ArrayLike<number>): { cosine: number; sqnrDb: number } {
  const accumulator = new FidelityAccumulator('reference', 0);
  const dims = [reference.length];
  accumulator.add([{ name: 't', dims: [candidate.length], data: candidate }], [{ name: 't', dims, data: reference }]);
  const { cosine, sqnrDb } = accumulator.result().outputs[0]!;
  return { cosine, sqnrDb: sqnrDb ?? Infinity };
}

/**
 * Tensors to compare element by element between a model and its variant: the outputs, except those computed
 * from a selection (NMS, top-k, NonZero) — which rows survive depends on tiny score differences, so such outputs are
 * replaced by the float inputs of the selection op (the scores and boxes it chooses from).
 */
export function comparedTensors(model: LoadedModel): string[] {
  const selections = model.graph.node.filter((n) => SELECTION_OPS.has(n.opType ?? ''));
  if (selections.length === 0) return model.graph.output.map((o) => o.name!);
  const consumers = new Map<string, NodeProto[]>();
  for (const n of model.graph.node) for (const i of n.input) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const downstream = new Set<string>();
  const queue = selections.flatMap((n) => n.output);
  while (queue.length > 0) {
    const t = queue.pop()!;
    if (downstream.has(t)) continue;
    downstream.add(t);
    for (const n of consumers.get(t) ?? []) queue.push(...n.output);
  }
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const first = selections[0]!;
  const picked = (first.opType === 'NonMaxSuppression' ? first.input.slice(0, 2) : [first.input[0]!]).filter((t) => t && !initializers.has(t));
  return [...model.graph.output.map((o) => o.name!).filter((o) => !downstream.has(o)), ...picked];
}

const SELECTION_OPS = new Set(['NonMaxSuppression', 'TopK', 'NonZero']);
