/** Shared by the converter and model tests: run a built model in onnxruntime and compare outputs. */
import { encodeModel } from '../../src/onnx/model-io.js';
import type { ModelProto } from '../../src/onnx/types.js';
import { float32Tensor, runModel as runThroughRuntime } from '../helpers/run-model.js';

export async function runModel(model: ModelProto | string, input: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: number[] }> {
  const outputs = await runThroughRuntime(typeof model === 'string' ? model : encodeModel(model), { images: float32Tensor(input, dims) });
  const out = outputs.output0!;
  return { data: out.data as Float32Array, dims: out.dims };
}

/** max|a − b| / max|b|: the parity measure (differences relative to the output's magnitude). */
export function relativeMaxDiff(actual: Float32Array, reference: Float32Array): { maxDiff: number; maxRef: number; rel: number } {
  if (actual.length !== reference.length) throw new Error(`length ${actual.length} ≠ ${reference.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < actual.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - reference[i]!));
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  return { maxDiff, maxRef, rel: maxDiff / maxRef };
}

/** Node count per op type, without the nodes exporters use for constants and plumbing. */
export function opHistogram(model: ModelProto, ignore: readonly string[] = ['Constant', 'Identity']): Record<string, number> {
  const hist: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) {
    const op = node.opType ?? '';
    if (!ignore.includes(op)) hist[op] = (hist[op] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(hist).sort(([a], [b]) => a.localeCompare(b)));
}
