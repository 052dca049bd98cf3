/**
 * A model's signature as the contract needs it: real inputs (initializers that old exporters also list as
 * graph inputs are not inputs), outputs with their declared dims (undefined where symbolic) and element types,
 * and the metadata. Pure: reads a decoded ModelProto.
 */
import { getMetadata } from '../../onnx/builder.js';
import { dataTypeName } from '../../onnx/tensor.js';
import type { ModelHeader } from '../../onnx/model-header.js';
import type { ModelProto, ValueInfoProto } from '../../onnx/types.js';
import type { ModelSignature } from './types.js';

function describe(v: ValueInfoProto): { name: string; dims: Array<number | undefined>; type: string } {
  const t = v.type?.tensorType;
  const dims = (t?.shape?.dim ?? []).map((d) => (typeof d.dimValue === 'number' && d.dimValue > 0 ? d.dimValue : undefined));
  return { name: v.name ?? '', dims, type: dataTypeName(t?.elemType) };
}

/** From a decoded model, or only its header (onnx/model-header.ts): the signature needs nothing else. */
export function modelSignature(model: ModelProto | ModelHeader): ModelSignature {
  const graph = model.graph;
  const initializers = new Set(graph?.initializer.map((t) => t.name));
  return {
    inputs: (graph?.input ?? []).filter((i) => !initializers.has(i.name ?? '')).map(describe),
    outputs: (graph?.output ?? []).map(describe),
    metadata: getMetadata(model),
  };
}

/** The signature with the outputs' dims as one run produced them (for models whose output dims are symbolic). */
export function withRunDims(signature: ModelSignature, dims: ReadonlyArray<readonly number[]>): ModelSignature {
  return { ...signature, outputs: signature.outputs.map((o, i) => ({ ...o, dims: dims[i] ? [...dims[i]!] : o.dims })) };
}
