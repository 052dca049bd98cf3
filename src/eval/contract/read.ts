/**
 * The contract of a model file (or a model in memory), with the user's flags, and the stamp that writes it into
 * every file edgeopt produces from it.
 */
import type { MetadataStamp } from '../../onnx/builder.js';
import { loadModelHeader } from '../../onnx/model-header.js';
import type { ModelProto } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';
import { resolveContract } from './resolve.js';
import { modelSignature } from './signature.js';
import { contractMetadata } from './stored.js';
import type { ContractFlags, ResolvedContract } from './types.js';

export async function readContract(model: string | ModelProto, flags: ContractFlags = {}): Promise<ResolvedContract> {
  if (typeof model === 'string' && /\.(pt|pth)$/i.test(model)) {
    throw new EdgeoptError(`${model} is a PyTorch checkpoint; convert it to ONNX first (edgeopt convert), then pass the .onnx`);
  }
  // From a file, only its header is decoded: the contract needs the inputs, outputs and metadata, not the weights.
  const proto = typeof model === 'string' ? await loadModelHeader(model) : model;
  return resolveContract(modelSignature(proto), flags);
}

/**
 * A stamp for edgeopt's writers: the contract resolved on the model being written, with these flags, as
 * metadata. Converted, quantized and optimized files then carry it, and later commands need no flags.
 */
export function contractStamp(flags: ContractFlags = {}): MetadataStamp {
  return (model) => contractMetadata(resolveContract(modelSignature(model), flags));
}

/** Throws the one-line reason when images cannot be fed under this contract (an unknown input, a size clash). */
export function assertFeedable(resolved: ResolvedContract, what: string): void {
  if (resolved.feedProblem) throw new EdgeoptError(`${what}: ${resolved.feedProblem}`);
}
