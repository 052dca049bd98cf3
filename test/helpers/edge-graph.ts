import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { makeInt64Tensor, makeTensor } from '../../src/onnx/tensor.js';
import { DataType, type GraphProto, type LoadedModel, type NodeProto, type TensorProto } from '../../src/onnx/types.js';
import { seededRandom } from '../../src/util/random.js';

/**
 * A small hand-made detector-like graph with the edge cases exporters produce, for any opset 11–21:
 * - an int64 shape subgraph (Shape → Gather → Unsqueeze → Concat, no constant among the Concat's inputs) feeding a
 *   Reshape, and another feeding a Resize's `sizes`;
 * - Constant nodes (a float scale, and int64 axes);
 * - a Split and a Softmax over a non-last axis (whose attribute forms and semantics changed at opset 13);
 * - a second input (a per-channel offset) and several outputs, one of them an initializer;
 * - optionally: a dynamic batch, every initializer also listed in graph.input (as old exporters and Paddle2ONNX
 *   write them), an NHWC image input, and If/Loop nodes whose bodies read outer tensors by name.
 */
export interface EdgeGraphOptions {
  opset: number;
  dynamicBatch?: boolean;
  initializersAsInputs?: boolean;
  nhwc?: boolean;
  controlFlow?: boolean;
}

export const EDGE_SIZE = 32;

export function buildEdgeGraph(options: EdgeGraphOptions): LoadedModel {
  const { opset } = options;
  const random = seededRandom(opset * 7 + (options.nhwc ? 1 : 0));
  const weight = (name: string, dims: number[], scale = 0.3) =>
    makeTensor(name, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (random() - 0.5) * scale), dims);
  const inits: TensorProto[] = [
    weight('w1', [8, 3, 3, 3], 0.6), weight('b1', [8], 0.2), weight('w2', [8, 8, 3, 3]), weight('b2', [8], 0.2), weight('w3', [8, 8, 1, 1]),
    makeInt64Tensor('i0', [0], []), makeInt64Tensor('i1', [1], []), makeInt64Tensor('i2', [2], []), makeInt64Tensor('i3', [3], []),
    makeInt64Tensor('two', [2], []), makeTensor('roi', new Float32Array(0), [0]), makeTensor('no_scales', new Float32Array(0), [0]),
    makeTensor('anchors', Float32Array.from([8, 16, 32]), [3]),
  ];
  const nodes: NodeProto[] = [];
  const add = (op: string, inputs: string[], outputs: string[], attrs: Parameters<typeof makeNode>[3] = {}) => nodes.push(makeNode(op, inputs, outputs, attrs));
  // Unsqueeze/Split took their axes/sizes as attributes before opset 13, as inputs from 13.
  const unsqueeze = (x: string, out: string) => (opset >= 13 ? add('Unsqueeze', [x, 'axes0'], [out]) : add('Unsqueeze', [x], [out], { axes: [0] }));
  if (opset >= 13) add('Constant', [], ['axes0'], { value: makeInt64Tensor('axes0', [0]) });

  const batch = options.dynamicBatch ? 'N' : 1;
  let image = 'image';
  if (options.nhwc) {
    add('Transpose', ['image'], ['image_nchw'], { perm: [0, 3, 1, 2] });
    image = 'image_nchw';
  }
  add('Conv', [image, 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] });
  add('Relu', ['c1'], ['r1']);
  add('Add', ['r1', 'offset'], ['r1o']);
  // Shape subgraph → Resize sizes [N, C, 2H, 2W] (nearest).
  add('Shape', ['r1o'], ['s']);
  for (const [i, n] of [['i0', 'n'], ['i1', 'c'], ['i2', 'h'], ['i3', 'w']] as const) add('Gather', ['s', i], [n], { axis: 0 });
  add('Mul', ['h', 'two'], ['h2']);
  add('Mul', ['w', 'two'], ['w2x']);
  for (const t of ['n', 'c', 'h2', 'w2x']) unsqueeze(t, `${t}_1`);
  add('Concat', ['n_1', 'c_1', 'h2_1', 'w2x_1'], ['sizes'], { axis: 0 });
  add('Resize', ['r1o', 'roi', 'no_scales', 'sizes'], ['up'], { mode: 'nearest' });
  add('MaxPool', ['up'], ['pooled'], { kernel_shape: [2, 2], strides: [2, 2] });
  add('Conv', ['pooled', 'w2', 'b2'], ['c2'], { pads: [1, 1, 1, 1] });
  add('Sigmoid', ['c2'], ['sg']);
  add('Mul', ['c2', 'sg'], ['silu']);
  add('Constant', [], ['gain'], { value: makeTensor('gain', Float32Array.of(0.5), [1]) });
  add('Mul', ['silu', 'gain'], ['scaled']);
  add('Add', ['scaled', 'r1o'], ['feat']);
  // Split into halves and back (attribute before 13, input after, num_outputs from 18).
  if (opset >= 18) add('Split', ['feat'], ['fa', 'fb'], { axis: 1, num_outputs: 2 });
  else if (opset >= 13) {
    inits.push(makeInt64Tensor('halves', [4, 4]));
    add('Split', ['feat', 'halves'], ['fa', 'fb'], { axis: 1 });
  } else add('Split', ['feat'], ['fa', 'fb'], { axis: 1, split: [4, 4] });
  add('Concat', ['fb', 'fa'], ['swapped'], { axis: 1 });
  add('Conv', ['swapped', 'w3'], ['head']);
  // Shape subgraph → Reshape [N, C, H*W], then a Softmax over axis 1 (flatten-to-2D semantics before opset 13).
  add('Shape', ['head'], ['hs']);
  add('Gather', ['hs', 'i0'], ['hn'], { axis: 0 });
  add('Gather', ['hs', 'i1'], ['hc'], { axis: 0 });
  add('Gather', ['hs', 'i2'], ['hh'], { axis: 0 });
  add('Gather', ['hs', 'i3'], ['hw'], { axis: 0 });
  add('Mul', ['hh', 'hw'], ['hhw']);
  for (const t of ['hn', 'hc', 'hhw']) unsqueeze(t, `${t}_1`);
  add('Concat', ['hn_1', 'hc_1', 'hhw_1'], ['target'], { axis: 0 });
  add('Reshape', ['head', 'target'], ['flat']);
  add('Softmax', ['flat'], ['scores'], { axis: 1 });
  const outputs = [makeValueInfo('scores', DataType.FLOAT, [batch, 8, EDGE_SIZE * EDGE_SIZE]), makeValueInfo('feat', DataType.FLOAT, [batch, 8, EDGE_SIZE, EDGE_SIZE]), makeValueInfo('anchors', DataType.FLOAT, [3])];

  if (options.controlFlow) {
    // If: the then-branch doubles `feat`, read from the outer scope by name; Loop: adds the pooled mean twice.
    const branch = (name: string, body: NodeProto[], out: string, extra: TensorProto[] = []): GraphProto =>
      makeGraph({ name, node: body, initializer: extra, output: [makeValueInfo(out, DataType.FLOAT, [batch, 8, EDGE_SIZE, EDGE_SIZE])] });
    add('ReduceMax', ['feat'], ['peak'], { keepdims: 0 });
    add('Greater', ['peak', 'zero_f'], ['positive']);
    inits.push(makeTensor('zero_f', Float32Array.of(0), []), makeTensor('mean_init', new Float32Array(8), [1, 8, 1, 1]), makeInt64Tensor('trips', [2], []));
    const thenBranch = branch('then', [makeNode('Add', ['feat', 'feat'], ['doubled'])], 'doubled');
    const elseBranch = branch('else', [makeNode('Identity', ['feat'], ['same'])], 'same');
    add('If', ['positive'], ['branched'], { then_branch: thenBranch, else_branch: elseBranch });
    add('GlobalAveragePool', ['feat'], ['gap']);
    const body = makeGraph({
      name: 'body',
      input: [makeValueInfo('iter', DataType.INT64, []), makeValueInfo('cond_in', DataType.BOOL, []), makeValueInfo('acc', DataType.FLOAT, [1, 8, 1, 1])],
      node: [makeNode('Identity', ['cond_in'], ['cond_out']), makeNode('Add', ['acc', 'gap'], ['acc_out'])],
      output: [makeValueInfo('cond_out', DataType.BOOL, []), makeValueInfo('acc_out', DataType.FLOAT, [1, 8, 1, 1])],
    });
    add('Loop', ['trips', '', 'mean_init'], ['looped'], { body });
    outputs.push(makeValueInfo('branched', DataType.FLOAT, [batch, 8, EDGE_SIZE, EDGE_SIZE]), makeValueInfo('looped', DataType.FLOAT, [1, 8, 1, 1]));
  }

  const imageShape = options.nhwc ? [batch, EDGE_SIZE, EDGE_SIZE, 3] : [batch, 3, EDGE_SIZE, EDGE_SIZE];
  const input = [makeValueInfo('image', DataType.FLOAT, imageShape), makeValueInfo('offset', DataType.FLOAT, [1, 8, 1, 1])];
  if (options.initializersAsInputs) input.push(...inits.map((t) => makeValueInfo(t.name!, t.dataType!, t.dims.map(Number))));
  return makeModel(makeGraph({ node: nodes, initializer: inits, input, output: outputs }), { opset });
}
