/** Running models: the Runtime seam (declared in runtime.ts), its onnxruntime-node and onnxruntime-web implementations. */
export {
  TENSOR_ELEMENT_TYPES,
  type Runtime,
  type RuntimeSession,
  type SessionConfig,
  type PlainTensor,
  type TensorInfo,
  type InputInfo,
  type PreparedFeeds,
  type FailedProvider,
  type TensorElementType,
  type TensorValues,
} from './runtime.js';
export { ortNodeRuntime } from './ort-node.js';
export { createOrtWebRuntime } from './ort-web.js';
export { KNOWN_PROVIDERS, parseProviders } from './providers.js';
export { toSessionOptions, type OrtSessionOptions } from './session-options.js';
export { floatData } from './tensors.js';
