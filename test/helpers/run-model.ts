/** Tests run models the way the library does: through the Runtime, with plain tensors in and out. */
import { encodeModel } from '../../src/onnx/model-io.js';
import type { LoadedModel } from '../../src/onnx/types.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import type { PlainTensor, SessionConfig } from '../../src/runtime/runtime.js';

export function float32Tensor(data: Float32Array, dims: readonly number[]): PlainTensor {
  return { type: 'float32', data, dims: [...dims] };
}

/** One inference of a model file, bytes or loaded model; the session is released before returning. */
export async function runModel(
  model: string | Uint8Array | LoadedModel,
  feeds: Record<string, PlainTensor>,
  config: SessionConfig = {},
): Promise<Record<string, PlainTensor>> {
  const source = typeof model === 'string' || model instanceof Uint8Array ? model : encodeModel(model);
  const session = await ortNodeRuntime.open(source, config);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The first graph output (outputs come back in the graph's order). */
export function firstOutput(outputs: Record<string, PlainTensor>): PlainTensor {
  const first = Object.values(outputs)[0];
  if (!first) throw new Error('the model returned no outputs');
  return first;
}

/** Feeds `tensor` to the model's first input and returns its first output (image models). */
export async function runFirstInput(model: string | Uint8Array | LoadedModel, tensor: PlainTensor, config: SessionConfig = {}): Promise<PlainTensor> {
  const source = typeof model === 'string' || model instanceof Uint8Array ? model : encodeModel(model);
  const session = await ortNodeRuntime.open(source, config);
  try {
    return firstOutput(await session.run({ [session.inputs[0]!.name]: tensor }));
  } finally {
    await session.release();
  }
}
