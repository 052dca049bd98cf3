import { makeGraph, makeModel, makeNode, makeValueInfo } from '../onnx/builder.js';
import { encodeModel } from '../onnx/model-io.js';
import { makeTensor } from '../onnx/tensor.js';
import { DataType } from '../onnx/types.js';

/** A one-Conv model built in memory: enough for a provider to prove it loads and runs. */
export function probeModelBytes(): Uint8Array {
  const graph = makeGraph({
    node: [makeNode('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'conv' })],
    initializer: [makeTensor('w', new Float32Array(4 * 3 * 3 * 3).fill(0.1), [4, 3, 3, 3])],
    input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 8, 8])],
    output: [makeValueInfo('y', DataType.FLOAT, [1, 4, 8, 8])],
  });
  return encodeModel(makeModel(graph, { opset: 17 }));
}
