/**
 * edgeopt's public library API: the same capabilities as the CLI, as functions over typed records.
 */
export { EdgeoptError } from './util/errors.js';
export * from './onnx/types.js';
export { decodeModel, encodeModel, loadModel, loadModelSync, saveModel } from './onnx/model-io.js';
export { makeTensor, tensorToArray, tensorToFloat32, dataTypeName } from './onnx/tensor.js';
export { makeNode, makeGraph, makeModel, makeValueInfo, getAttribute } from './onnx/builder.js';
export { indexGraph, topologicalSort, uniqueNamer, opsetVersion } from './onnx/graph.js';
export { openSession, type SessionConfig, type OpenedSession } from './bench/session.js';
