import { describe, expect, it } from 'vitest';
import { float, makeGraph, makeModel, makeNode, makeValueInfo, type AttributeValue } from '../../src/onnx/builder.js';
import { encodeModel, loadModelSync } from '../../src/onnx/model-io.js';
import { inferShapes, runShapeInference } from '../../src/onnx/shapes.js';
import { sliceLength } from '../../src/onnx/shape-rules/gather-slice.js';
import { makeInt64Tensor, makeTensor } from '../../src/onnx/tensor.js';
import { DataType, type NodeProto, type TensorProto } from '../../src/onnx/types.js';
import { EdgeoptError } from '../../src/util/errors.js';
import { float32Tensor, runModel } from '../helpers/run-model.js';
import { asset, hasAssets } from '../helpers/assets.js';

type Shape = Array<number | string>;

/** A model with float inputs of the given shapes, extra initializers, and the nodes under test. */
function model(inputs: Record<string, Shape>, nodes: NodeProto[], initializers: TensorProto[] = [], opset = 17) {
  const outputs = nodes.flatMap((n) => n.output).filter(Boolean);
  return makeModel(
    makeGraph({
      node: nodes,
      initializer: initializers,
      input: Object.entries(inputs).map(([name, shape]) => makeValueInfo(name, DataType.FLOAT, shape)),
      output: outputs.slice(-1).map((name) => ({ name })),
    }),
    { opset, extraOpsets: { 'com.microsoft': 1 } },
  );
}

function shapeOf(m: ReturnType<typeof model>, name: string): Shape | undefined {
  return inferShapes(m).get(name)?.shape;
}

const weight = (name: string, dims: number[]) => makeTensor(name, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01), dims);

describe('conv and pool rules', () => {
  it('Conv with pads, strides, dilations and groups', () => {
    const m = model({ x: [1, 8, 33, 20] }, [
      makeNode('Conv', ['x', 'w'], ['y'], { pads: [1, 2, 1, 2], strides: [2, 3], dilations: [2, 1], group: 4 }),
    ], [weight('w', [16, 2, 3, 5])]);
    // H: floor((33+2-5)/2)+1 = 16; W: floor((20+4-5)/3)+1 = 7
    expect(shapeOf(m, 'y')).toEqual([1, 16, 16, 7]);
  });

  it('Conv with auto_pad SAME_UPPER keeps ceil(in/stride) and the symbolic batch', () => {
    const m = model({ x: ['N', 3, 15, 15] }, [makeNode('Conv', ['x', 'w'], ['y'], { auto_pad: 'SAME_UPPER', strides: [2, 2] })], [weight('w', [4, 3, 3, 3])]);
    expect(shapeOf(m, 'y')).toEqual(['N', 4, 8, 8]);
  });

  it('ConvInteger gives int32, QLinearConv the output zero point type', () => {
    const u8 = (name: string, dims: number[]) => makeTensor(name, new Uint8Array(dims.reduce((a, b) => a * b, 1)), dims);
    const f = (name: string) => makeTensor(name, Float32Array.from([0.1]), []);
    const m = model({ x: [1, 3, 8, 8] }, [
      makeNode('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']),
      makeNode('ConvInteger', ['xq', 'wq', 'xz'], ['acc']),
      makeNode('QLinearConv', ['xq', 'xs', 'xz', 'wq', 'ws', 'wz', 'ys', 'yz'], ['yq'], { pads: [1, 1, 1, 1] }),
    ], [u8('wq', [5, 3, 3, 3]), f('ws'), u8('wz', []), f('ys'), makeTensor('yz', new Int8Array(1), [], DataType.INT8)]);
    const types = inferShapes(m);
    expect(types.get('xq')).toEqual({ dataType: DataType.UINT8, shape: [1, 3, 8, 8] });
    expect(types.get('xs')).toEqual({ dataType: DataType.FLOAT, shape: [] });
    expect(types.get('xz')).toEqual({ dataType: DataType.UINT8, shape: [] });
    expect(types.get('acc')).toEqual({ dataType: DataType.INT32, shape: [1, 5, 6, 6] });
    expect(types.get('yq')).toEqual({ dataType: DataType.INT8, shape: [1, 5, 8, 8] });
  });

  it('pools: MaxPool with ceil_mode, AveragePool with pads, GlobalAveragePool', () => {
    const m = model({ x: [1, 4, 10, 10] }, [
      makeNode('MaxPool', ['x'], ['a'], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
      makeNode('AveragePool', ['x'], ['b'], { kernel_shape: [5, 5], pads: [2, 2, 2, 2], strides: [1, 1] }),
      makeNode('GlobalAveragePool', ['x'], ['c']),
    ]);
    expect(shapeOf(m, 'a')).toEqual([1, 4, 5, 5]);
    expect(shapeOf(m, 'b')).toEqual([1, 4, 10, 10]);
    expect(shapeOf(m, 'c')).toEqual([1, 4, 1, 1]);
  });

  it('throws a one-line EdgeoptError when channels do not match the weight', () => {
    const m = model({ x: [1, 3, 8, 8] }, [makeNode('Conv', ['x', 'w'], ['y'])], [weight('w', [4, 5, 3, 3])]);
    expect(() => inferShapes(m)).toThrow(EdgeoptError);
    expect(() => inferShapes(m)).toThrow(/Conv node 'y'.*3 channels/);
  });
});

describe('layout rules', () => {
  it('Resize from scales (opset 11+ and 10) and from sizes', () => {
    const scales = makeTensor('scales', Float32Array.from([1, 1, 2, 2]), [4]);
    const sizes = makeInt64Tensor('sizes', [1, 3, 7, 9]);
    const m = model({ x: [1, 3, 20, 15] }, [
      makeNode('Resize', ['x', '', 'scales'], ['up'], { mode: 'nearest' }),
      makeNode('Resize', ['x', '', '', 'sizes'], ['sized'], { mode: 'linear' }),
    ], [scales, sizes]);
    expect(shapeOf(m, 'up')).toEqual([1, 3, 40, 30]);
    expect(shapeOf(m, 'sized')).toEqual([1, 3, 7, 9]);
    const old = model({ x: [1, 3, 20, 15] }, [makeNode('Resize', ['x', 'scales'], ['up'])], [scales], 10);
    expect(shapeOf(old, 'up')).toEqual([1, 3, 40, 30]);
  });

  it('Resize scales produced by a Constant node', () => {
    const m = model({ x: [1, 2, 5, 5] }, [
      makeNode('Constant', [], ['s'], { value: makeTensor('s', Float32Array.from([1, 1, 1.5, 2]), [4]) }),
      makeNode('Resize', ['x', '', 's'], ['y']),
    ]);
    expect(shapeOf(m, 'y')).toEqual([1, 2, 7, 10]);
  });

  it('Split by input sizes, by attribute (opset 11), by num_outputs (opset 18) and in equal parts', () => {
    const bySizes = model({ x: [2, 10] }, [makeNode('Split', ['x', 'parts'], ['a', 'b'], { axis: 1 })], [makeInt64Tensor('parts', [3, 7])]);
    expect([shapeOf(bySizes, 'a'), shapeOf(bySizes, 'b')]).toEqual([[2, 3], [2, 7]]);
    const byAttr = model({ x: [2, 10] }, [makeNode('Split', ['x'], ['a', 'b'], { axis: -1, split: [4, 6] })], [], 11);
    expect([shapeOf(byAttr, 'a'), shapeOf(byAttr, 'b')]).toEqual([[2, 4], [2, 6]]);
    const byCount = model({ x: [10, 2] }, [makeNode('Split', ['x'], ['a', 'b', 'c'], { num_outputs: 3 })], [], 18);
    expect(['a', 'b', 'c'].map((n) => shapeOf(byCount, n))).toEqual([[4, 2], [4, 2], [2, 2]]);
    const equal = model({ x: [6, 2] }, [makeNode('Split', ['x'], ['a', 'b'])]);
    expect(shapeOf(equal, 'b')).toEqual([3, 2]);
    const bad = model({ x: [2, 10] }, [makeNode('Split', ['x', 'parts'], ['a', 'b'], { axis: 1 })], [makeInt64Tensor('parts', [3, 3])]);
    expect(() => inferShapes(bad)).toThrow(/do not add up/);
  });

  it('Slice with negative indices, steps, clamped ends and the opset-1 attribute form', () => {
    const m = model({ x: [10, 20, 30] }, [
      makeNode('Slice', ['x', 'starts', 'ends', 'axes', 'steps'], ['y']),
    ], [makeInt64Tensor('starts', [-1, 2]), makeInt64Tensor('ends', [-1e15, 1e15]), makeInt64Tensor('axes', [0, 2]), makeInt64Tensor('steps', [-3, 4])]);
    // axis 0: 9, 6, 3, 0 → 4; axis 2: 2, 6, …, 26 → 7
    expect(shapeOf(m, 'y')).toEqual([4, 20, 7]);
    const old = model({ x: [10, 20] }, [makeNode('Slice', ['x'], ['y'], { starts: [1], ends: [-1], axes: [1] })], [], 9);
    expect(shapeOf(old, 'y')).toEqual([10, 18]);
    expect(sliceLength(5, 0, 5, 2)).toBe(3);
    expect(sliceLength(5, 4, -10, -1)).toBe(5);
  });

  it('Concat, Transpose, Flatten, Unsqueeze/Squeeze with attribute or input axes', () => {
    const m = model({ a: [1, 2, 3], b: [1, 5, 3] }, [
      makeNode('Concat', ['a', 'b'], ['c'], { axis: 1 }),
      makeNode('Transpose', ['c'], ['t'], { perm: [2, 0, 1] }),
      makeNode('Flatten', ['t'], ['f'], { axis: 2 }),
      makeNode('Unsqueeze', ['c', 'ax'], ['u']),
      makeNode('Squeeze', ['u', 'ax'], ['s']),
    ], [makeInt64Tensor('ax', [0, -1])]);
    expect(shapeOf(m, 'c')).toEqual([1, 7, 3]);
    expect(shapeOf(m, 't')).toEqual([3, 1, 7]);
    expect(shapeOf(m, 'f')).toEqual([3, 7]);
    expect(shapeOf(m, 'u')).toEqual([1, 1, 7, 3, 1]);
    expect(shapeOf(m, 's')).toEqual([1, 7, 3]);
    const old = model({ a: [2, 3] }, [makeNode('Unsqueeze', ['a'], ['u'], { axes: [1] })], [], 11);
    expect(shapeOf(old, 'u')).toEqual([2, 1, 3]);
    const bad = model({ a: [1, 2, 3], b: [1, 5, 4] }, [makeNode('Concat', ['a', 'b'], ['c'], { axis: 1 })]);
    expect(() => inferShapes(bad)).toThrow(EdgeoptError);
  });

  it('Reshape with 0 and -1, and through a torch-style Shape→Gather→Concat chain', () => {
    const direct = model({ x: [2, 3, 4, 5] }, [makeNode('Reshape', ['x', 'shape'], ['y'])], [makeInt64Tensor('shape', [0, -1, 5])]);
    expect(shapeOf(direct, 'y')).toEqual([2, 12, 5]);
    const chain = model({ x: [2, 3, 4, 5] }, [
      makeNode('Shape', ['x'], ['s']),
      makeNode('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      makeNode('Unsqueeze', ['n', 'axis0'], ['n1']),
      makeNode('Constant', [], ['rest'], { value_ints: [4, -1] }),
      makeNode('Concat', ['n1', 'rest'], ['target'], { axis: 0 }),
      makeNode('Reshape', ['x', 'target'], ['y']),
    ], [makeInt64Tensor('zero', [0], []), makeInt64Tensor('axis0', [0])]);
    const result = runShapeInference(chain);
    expect(result.values.get('target')).toEqual([2, 4, -1]);
    expect(result.types.get('y')?.shape).toEqual([2, 4, 15]);
    expect(result.unresolved).toEqual([]);
    const bad = model({ x: [2, 3] }, [makeNode('Reshape', ['x', 'shape'], ['y'])], [makeInt64Tensor('shape', [4, 2])]);
    expect(() => inferShapes(bad)).toThrow(/cannot reshape/);
  });

  it('Expand and Tile', () => {
    const m = model({ x: [3, 1] }, [
      makeNode('Expand', ['x', 'shape'], ['e']),
      makeNode('Tile', ['x', 'reps'], ['t']),
    ], [makeInt64Tensor('shape', [2, 1, 6]), makeInt64Tensor('reps', [2, 5])]);
    expect(shapeOf(m, 'e')).toEqual([2, 3, 6]);
    expect(shapeOf(m, 't')).toEqual([6, 5]);
  });
});

describe('elementwise, matmul and quantization rules', () => {
  it('numpy broadcasting, including symbolic dims, comparisons and Where', () => {
    const m = model({ a: ['N', 1, 5], b: [4, 1], c: [1] }, [
      makeNode('Add', ['a', 'b'], ['sum']),
      makeNode('Equal', ['sum', 'c'], ['eq']),
      makeNode('Where', ['eq', 'a', 'b'], ['w']),
      makeNode('Sigmoid', ['sum'], ['s']),
      makeNode('LeakyRelu', ['s'], ['l'], { alpha: float(0.1) }),
      makeNode('Clip', ['l', 'c', 'c'], ['clip']),
    ]);
    const types = inferShapes(m);
    expect(types.get('sum')?.shape).toEqual(['N', 4, 5]);
    expect(types.get('eq')).toEqual({ dataType: DataType.BOOL, shape: ['N', 4, 5] });
    expect(types.get('w')?.shape).toEqual(['N', 4, 5]);
    expect(types.get('clip')?.shape).toEqual(['N', 4, 5]);
    expect(() => inferShapes(model({ a: [3, 4], b: [5, 4] }, [makeNode('Mul', ['a', 'b'], ['y'])]))).toThrow(/cannot broadcast/);
  });

  it('MatMul with batch broadcasting and 1-D operands, Gemm with transB', () => {
    const m = model({ a: [2, 1, 3, 4], b: [5, 4, 6], v: [4], g: [7, 4] }, [
      makeNode('MatMul', ['a', 'b'], ['ab']),
      makeNode('MatMul', ['v', 'b'], ['vb']),
      makeNode('Gemm', ['g', 'w'], ['gw'], { transB: 1 }),
    ], [weight('w', [9, 4])]);
    expect(shapeOf(m, 'ab')).toEqual([2, 5, 3, 6]);
    expect(shapeOf(m, 'vb')).toEqual([5, 6]);
    expect(shapeOf(m, 'gw')).toEqual([7, 9]);
    expect(() => inferShapes(model({ a: [3, 4], b: [5, 6] }, [makeNode('MatMul', ['a', 'b'], ['y'])]))).toThrow(/inner dims/);
  });

  it('Quantize/DequantizeLinear, Cast and com.microsoft QLinearAdd', () => {
    const scale = makeTensor('scale', Float32Array.from([0.1]), []);
    const zp = makeTensor('zp', new Int8Array(1), [], DataType.INT8);
    const m = model({ x: [2, 3], y: [3] }, [
      makeNode('QuantizeLinear', ['x', 'scale', 'zp'], ['q']),
      makeNode('QuantizeLinear', ['y', 'scale'], ['qy']),
      makeNode('QLinearAdd', ['q', 'scale', 'zp', 'qy', 'scale', 'zp', 'scale', 'zp'], ['qa'], {}, { domain: 'com.microsoft' }),
      makeNode('DequantizeLinear', ['qa', 'scale', 'zp'], ['d']),
      makeNode('Cast', ['d'], ['c'], { to: DataType.FLOAT16 }),
    ], [scale, zp]);
    const types = inferShapes(m);
    expect(types.get('q')).toEqual({ dataType: DataType.INT8, shape: [2, 3] });
    expect(types.get('qy')).toEqual({ dataType: DataType.UINT8, shape: [3] });
    expect(types.get('qa')).toEqual({ dataType: DataType.INT8, shape: [2, 3] });
    expect(types.get('d')).toEqual({ dataType: DataType.FLOAT, shape: [2, 3] });
    expect(types.get('c')).toEqual({ dataType: DataType.FLOAT16, shape: [2, 3] });
  });

  it('unknown ops leave their outputs unknown (or take value_info) without throwing', () => {
    const m = model({ x: [2, 3] }, [makeNode('FancyOp', ['x'], ['y'], {}, { domain: 'example' }), makeNode('Relu', ['y'], ['z'])]);
    let result = runShapeInference(m);
    expect(result.types.has('y')).toBe(false);
    expect(result.types.has('z')).toBe(false);
    expect(result.unresolved.map((n) => n.opType)).toEqual(['FancyOp', 'Relu']);
    m.graph.valueInfo.push(makeValueInfo('y', DataType.FLOAT, [2, 'k']));
    result = runShapeInference(m);
    expect(result.types.get('z')?.shape).toEqual([2, 'k']);
  });
});

/** Inferred shapes must be what onnxruntime actually produces. */
describe('agreement with onnxruntime', () => {
  const cases: Array<{ name: string; input: number[]; node: [string, string[], Record<string, AttributeValue>]; inits?: TensorProto[] }> = [
    { name: 'grouped dilated conv', input: [1, 6, 17, 13], node: ['Conv', ['x', 'w'], { group: 3, dilations: [2, 1], strides: [2, 2], pads: [0, 1, 2, 1] }], inits: [weight('w', [9, 2, 3, 3])] },
    { name: 'max pool ceil mode', input: [1, 2, 11, 8], node: ['MaxPool', ['x'], { kernel_shape: [3, 2], strides: [2, 3], ceil_mode: 1, pads: [1, 0, 1, 0] }] },
    { name: 'resize by fractional scales', input: [1, 2, 7, 9], node: ['Resize', ['x', '', 'scales'], { mode: 'nearest' }], inits: [makeTensor('scales', Float32Array.from([1, 1, 1.5, 0.5]), [4])] },
    { name: 'slice backwards', input: [9, 8], node: ['Slice', ['x', 'st', 'en', 'ax', 'sp'], {}], inits: [makeInt64Tensor('st', [7, 100]), makeInt64Tensor('en', [-100, 1]), makeInt64Tensor('ax', [0, 1]), makeInt64Tensor('sp', [-2, -3])] },
    { name: 'reduce mean', input: [2, 3, 4], node: ['ReduceMean', ['x'], { axes: [-1, 0], keepdims: 0 }] },
    { name: 'softmax + hardswish', input: [2, 5], node: ['HardSwish', ['x'], {}] },
    { name: 'conv transpose', input: [1, 4, 5, 6], node: ['ConvTranspose', ['x', 'w'], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] }], inits: [weight('w', [4, 3, 3, 3])] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const [op, inputs, attrs] = c.node;
      const m = model({ x: c.input }, [makeNode(op, inputs, ['y'], attrs)], c.inits ?? []);
      m.graph.output = [makeValueInfo('y', DataType.FLOAT)];
      const inferred = shapeOf(m, 'y');
      const size = c.input.reduce((a, b) => a * b, 1);
      const out = await runModel(m, { x: float32Tensor(new Float32Array(size).fill(0.5), c.input) });
      expect(inferred).toEqual(out.y!.dims);
    });
  }
});

describe.skipIf(!hasAssets)('real models infer fully', () => {
  const models = [
    ['models', 'yolov5nu_fp32.onnx'],
    ['models', 'yolov5nu_int8_dynamic_published.onnx'],
    ['reference', 'yolov5n_fp32_torch.onnx'],
    ['reference', 'yolov5n_duckietown_fp32_torch.onnx'],
    ['ultralytics', 'yolov5nu_torch.onnx'],
    ['ultralytics', 'yolov8n_torch.onnx'],
    ['ultralytics', 'yolo11n_torch.onnx'],
  ];
  for (const parts of models) {
    it(parts.join('/'), () => {
      const m = loadModelSync(asset(...parts));
      // Infer without the exporter's value_info, then check against it where it exists.
      const hints = new Map(m.graph.valueInfo.map((v) => [v.name!, v]));
      m.graph.valueInfo = [];
      const result = runShapeInference(m);
      expect(result.unresolved.map((n) => `${n.opType} ${n.name}`)).toEqual([]);
      for (const node of m.graph.node) {
        for (const name of node.output) {
          const t = result.types.get(name);
          expect(t, name).toBeDefined();
          expect(t!.shape.every((d) => typeof d === 'number'), name).toBe(true);
          expect(t!.dataType, name).toBeGreaterThan(0);
          const hint = hints.get(name)?.type?.tensorType;
          if (hint) {
            expect(t!.dataType, name).toBe(hint.elemType);
            expect(t!.shape, name).toEqual(hint.shape!.dim.map((d) => Number(d.dimValue)));
          }
        }
      }
      const outputShapes = m.graph.output.map((o) => result.types.get(o.name!)?.shape);
      expect(outputShapes).toEqual(m.graph.output.map((o) => o.type!.tensorType!.shape!.dim.map((d) => Number(d.dimValue))));
    });
  }
});
