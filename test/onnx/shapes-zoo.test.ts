import { describe, expect, it } from 'vitest';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';
import type { PlainTensor } from '../../src/runtime/runtime.js';
import { makeGraph, makeModel, makeNode, makeValueInfo, type AttributeValue } from '../../src/onnx/builder.js';
import { encodeModel, loadModelSync } from '../../src/onnx/model-io.js';
import { runShapeInference, unitInputShapes } from '../../src/onnx/shapes.js';
import { dataTypeName, makeInt64Tensor, makeTensor } from '../../src/onnx/tensor.js';
import { DataType, type LoadedModel, type TensorProto } from '../../src/onnx/types.js';
import { ZOO_MODELS, hasZoo, zooModel } from '../helpers/zoo.js';

/**
 * Element types and shapes must be what onnxruntime computes, for every tensor of every zoo model (the
 * quantizers and FP16 conversion decide from them what is float), and for the index ops of detectors with
 * NMS or top-k inside the graph.
 */

const ORT_TYPE: Record<string, string> = { float32: 'float32', int64: 'int64', int32: 'int32', uint8: 'uint8', int8: 'int8', bool: 'bool', float16: 'float16' };

/** Runs `model` with every node output fetched; returns name → (type, dims). */
async function ortTypes(model: LoadedModel, feeds: Record<string, PlainTensor>): Promise<Map<string, { type: string; dims: readonly number[] }>> {
  const shapes = runShapeInference(model, { inputShapes: unitInputShapes(model) });
  const names = [...new Set(model.graph.node.flatMap((n) => n.output).filter(Boolean))];
  const outputs = names.map((n) => makeValueInfo(n, shapes.types.get(n)?.dataType ?? DataType.FLOAT));
  const probe: LoadedModel = { ...model, graph: { ...model.graph, output: outputs } };
  const session = await ortNodeRuntime.open(encodeModel(probe), { intraOpThreads: 1, graphOptimizationLevel: 'disabled' });
  try {
    const result = await session.run(feeds);
    return new Map(Object.entries(result).map(([k, t]) => [k, { type: t.type, dims: t.dims }]));
  } finally {
    await session.release();
  }
}

function feedsFor(model: LoadedModel): Record<string, PlainTensor> {
  const initializers = new Set(model.graph.initializer.map((t) => t.name));
  const feeds: Record<string, PlainTensor> = {};
  for (const input of model.graph.input) {
    if (initializers.has(input.name)) continue;
    const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (Number(d.dimValue) > 0 ? Number(d.dimValue) : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[input.name!] = { type: 'float32', data: new Float32Array(size).fill(0.5), dims };
  }
  return feeds;
}

describe.skipIf(!hasZoo)('zoo models: inferred element types and shapes agree with onnxruntime', () => {
  for (const name of ZOO_MODELS) {
    it(name, async () => {
      const model = loadModelSync(zooModel(name));
      const inferred = runShapeInference(model, { inputShapes: unitInputShapes(model) }).types;
      const actual = await ortTypes(model, feedsFor(model));
      let compared = 0;
      for (const node of model.graph.node) {
        for (const out of node.output) {
          if (!out) continue;
          const t = inferred.get(out);
          expect(t, `${node.opType} ${out}`).toBeDefined();
          const real = actual.get(out)!;
          expect(ORT_TYPE[dataTypeName(t!.dataType)], `${node.opType} ${out}`).toBe(real.type);
          expect(t!.shape.length, `${node.opType} ${out} rank`).toBe(real.dims.length);
          // Data-dependent sizes (after NMS, NonZero) are symbols; every size we claim as a number must be right.
          t!.shape.forEach((d, i) => {
            if (typeof d === 'number') expect(d, `${node.opType} ${out} dim ${i}`).toBe(real.dims[i]);
          });
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
    }, 120_000);
  }
});

describe('index and control-flow ops agree with onnxruntime', () => {
  const cases: Array<{ name: string; nodes: Array<[string, string[], string[], Record<string, AttributeValue>]>; inits?: TensorProto[]; opset?: number }> = [
    { name: 'TopK values and int64 indices', nodes: [['TopK', ['x', 'k'], ['v', 'i'], { axis: 1 }]], inits: [makeInt64Tensor('k', [3])] },
    { name: 'NonZero', nodes: [['Greater', ['x', 'half'], ['g'], {}], ['NonZero', ['g'], ['nz'], {}]], inits: [makeTensor('half', Float32Array.of(0.5), [])] },
    {
      name: 'NonMaxSuppression',
      nodes: [
        ['Slice', ['x', 's0', 's4', 'ax'], ['b'], {}], ['Reshape', ['b', 'bshape'], ['boxes'], {}],
        ['Slice', ['x', 's4', 's6', 'ax'], ['s'], {}], ['Transpose', ['s'], ['st'], {}], ['Reshape', ['st', 'sshape'], ['scores'], {}],
        ['NonMaxSuppression', ['boxes', 'scores', 'maxk'], ['sel'], {}],
      ],
      inits: [makeInt64Tensor('s0', [0]), makeInt64Tensor('s4', [4]), makeInt64Tensor('s6', [6]), makeInt64Tensor('ax', [1]), makeInt64Tensor('bshape', [1, 4, 4]), makeInt64Tensor('sshape', [1, 2, 4]), makeInt64Tensor('maxk', [2])],
    },
    { name: 'GatherElements and GatherND', nodes: [['ArgMax', ['x'], ['am'], { axis: 1 }], ['GatherElements', ['x', 'am'], ['ge'], { axis: 1 }], ['GatherND', ['x', 'nd'], ['gn'], {}]], inits: [makeInt64Tensor('nd', [0, 1, 2, 3], [2, 2])] },
    { name: 'Range from a shape', nodes: [['Shape', ['x'], ['s'], {}], ['Gather', ['s', 'one'], ['n'], {}], ['Range', ['zero', 'n', 'step'], ['r'], {}]], inits: [makeInt64Tensor('one', [1], []), makeInt64Tensor('zero', [0], []), makeInt64Tensor('step', [2], [])] },
    { name: 'Pad (opset 11 input) and DepthToSpace', nodes: [['Reshape', ['x', 'four'], ['x4'], {}], ['Pad', ['x4', 'pads'], ['p'], {}], ['DepthToSpace', ['p', ], ['d'], { blocksize: 2 }]], inits: [makeInt64Tensor('four', [1, 4, 3, 2]), makeInt64Tensor('pads', [0, 0, 1, 0, 0, 0, 0, 2])] },
    { name: 'OneHot', nodes: [['ArgMax', ['x'], ['am'], { axis: 1, keepdims: 0 }], ['OneHot', ['am', 'depth', 'vals'], ['oh'], {}]], inits: [makeInt64Tensor('depth', [5], []), makeTensor('vals', Float32Array.of(0, 1), [2])] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const model = makeModel(makeGraph({
        node: c.nodes.map(([op, inputs, outputs, attrs]) => makeNode(op, inputs, outputs, attrs)),
        initializer: c.inits ?? [],
        input: [makeValueInfo('x', DataType.FLOAT, [4, 6])],
      }), { opset: c.opset ?? 17 });
      const random = Float32Array.from({ length: 24 }, (_, i) => ((i * 7919) % 24) / 24);
      const actual = await ortTypes(model, { x: { type: 'float32', data: random, dims: [4, 6] } });
      const inferred = runShapeInference(model).types;
      for (const [name, real] of actual) {
        const t = inferred.get(name);
        expect(t, name).toBeDefined();
        expect(ORT_TYPE[dataTypeName(t!.dataType)], name).toBe(real.type);
        expect(t!.shape.length, name).toBe(real.dims.length);
        t!.shape.forEach((d, i) => typeof d === 'number' && expect(d, `${name} dim ${i}`).toBe(real.dims[i]));
      }
    });
  }

  it('If takes its element types from the branches', async () => {
    const branch = (value: number, name: string) => makeGraph({
      name,
      node: [makeNode('Constant', [], [`${name}_out`], { value: makeTensor(`${name}_c`, Float32Array.of(value, value), [2]) })],
      output: [makeValueInfo(`${name}_out`, DataType.FLOAT, [2])],
    });
    const model = makeModel(makeGraph({
      node: [
        makeNode('ReduceMax', ['x'], ['m'], { keepdims: 0 }),
        makeNode('Greater', ['m', 'half'], ['cond']),
        makeNode('If', ['cond'], ['y'], { then_branch: branch(1, 'then'), else_branch: branch(0, 'else') }),
      ],
      initializer: [makeTensor('half', Float32Array.of(0.5), [])],
      input: [makeValueInfo('x', DataType.FLOAT, [4, 6])],
    }));
    const inferred = runShapeInference(model).types;
    expect(inferred.get('y')).toEqual({ dataType: DataType.FLOAT, shape: [2] });
    const actual = await ortTypes(model, { x: { type: 'float32', data: new Float32Array(24).fill(0.7), dims: [4, 6] } });
    expect(actual.get('y')).toEqual({ type: 'float32', dims: [2] });
  });
});
