import { describe, expect, it } from 'vitest';
import { analyzeModel } from '../../src/analyze/analyze.js';
import { formatAnalysis } from '../../src/analyze/format.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { loadModel, loadModelSync } from '../../src/onnx/model-io.js';
import { quantizeStatic } from '../../src/quantize/static/index.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { DataType } from '../../src/onnx/types.js';
import { asset, hasAssets } from '../helpers/assets.js';

const zeros = (name: string, dims: number[]) => makeTensor(name, new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);

/** Conv→BN, Conv→Sigmoid→Mul, Conv→Relu, a grouped conv and a Gemm head: every counter has something to count. */
function smallNet() {
  return makeModel(makeGraph({
    node: [
      makeNode('Conv', ['x', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }, { name: 'conv_bn' }),
      makeNode('BatchNormalization', ['c1', 's', 'b', 'm', 'v'], ['bn']),
      makeNode('Conv', ['bn', 'w2'], ['c2'], { pads: [1, 1, 1, 1], group: 4 }, { name: 'conv_silu' }),
      makeNode('Sigmoid', ['c2'], ['sig']),
      makeNode('Mul', ['c2', 'sig'], ['silu']),
      makeNode('Conv', ['silu', 'w3'], ['c3'], { strides: [2, 2] }, { name: 'conv_relu' }),
      makeNode('Relu', ['c3'], ['r']),
      makeNode('GlobalAveragePool', ['r'], ['g']),
      makeNode('Flatten', ['g'], ['f']),
      makeNode('Gemm', ['f', 'fc'], ['logits'], { transB: 1 }),
    ],
    initializer: [
      zeros('w1', [8, 3, 3, 3]), zeros('s', [8]), zeros('b', [8]), zeros('m', [8]), zeros('v', [8]),
      zeros('w2', [8, 2, 3, 3]), zeros('w3', [16, 8, 1, 1]), zeros('fc', [10, 16]),
      makeTensor('unused_half', new Uint16Array(6), [6], DataType.FLOAT16),
    ],
    input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 16, 16])],
    output: [makeValueInfo('logits', DataType.FLOAT, [1, 10])],
  }), { producerName: 'unit-test' });
}

describe('analyzeModel on a built model', () => {
  const a = analyzeModel(smallNet(), { fileBytes: 1234 });

  it('counts MACs per op from inferred shapes', () => {
    const conv1 = 1 * 8 * 16 * 16 * 3 * 9;
    const conv2 = 1 * 8 * 16 * 16 * 2 * 9; // Cin/group = 2
    const conv3 = 1 * 16 * 8 * 8 * 8;
    const gemm = 10 * 16;
    expect(a.macs.byOpType).toEqual({ Conv: conv1 + conv2 + conv3, Gemm: gemm });
    expect(a.macs.total).toBe(conv1 + conv2 + conv3 + gemm);
    expect(a.flops).toBe(2 * a.macs.total);
    expect(a.macs.uncounted).toEqual([]);
  });

  it('finds each fusion pattern once, naming the conv', () => {
    expect(a.fusions.map((f) => [f.pattern, f.count, f.examples])).toEqual([
      ['Conv→BatchNormalization', 1, ['conv_bn']],
      ['Conv→Sigmoid→Mul (SiLU)', 1, ['conv_silu']],
      ['Conv→Relu', 1, ['conv_relu']],
    ]);
  });

  it('reports parameters per dtype with their real sizes', () => {
    const floats = 8 * 27 + 4 * 8 + 8 * 18 + 16 * 8 + 160;
    expect(a.parameters.count).toBe(floats + 6);
    expect(a.parameters.byDtype).toEqual({ float32: { count: floats, bytes: floats * 4 }, float16: { count: 6, bytes: 12 } });
    expect(a.parameterBytes).toBe(floats * 4 + 12);
    expect(a.fileBytes).toBe(1234);
  });

  it('reports graph facts and formats a table', () => {
    expect(a.nodes).toBe(10);
    expect(a.opCounts).toEqual({ Conv: 3, BatchNormalization: 1, Sigmoid: 1, Mul: 1, Relu: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 });
    expect(a.topOps[0]).toEqual({ op: 'Conv', count: 3 });
    expect(a.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 16, 16] }]);
    expect(a.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: [1, 10] }]);
    expect(a.opset).toEqual({ 'ai.onnx': 17 });
    expect(a.producer.name).toBe('unit-test');
    expect(a.floatConv).toBe(3);
    expect(a.floatMatMul).toBe(1);
    expect(a.quantization.ConvInteger).toBe(0);
    const text = formatAnalysis(a);
    expect(text).toMatch(/MACs\s+0\.000 G/);
    expect(text).toMatch(/Conv→Relu\s+1\s+conv_relu/);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });
});

describe.skipIf(!hasAssets)('analyzeModel on the shared YOLOv5nu models', () => {
  it('fp32: node and op counts, MACs, SiLU fusions', () => {
    const a = analyzeModel(loadModelSync(asset('models', 'yolov5nu_fp32.onnx')));
    expect(a.nodes).toBe(262);
    expect(a.opCounts).toEqual({
      Conv: 76, Sigmoid: 70, Mul: 70, Concat: 19, Add: 9, Reshape: 5, MaxPool: 3,
      Resize: 2, Slice: 2, Sub: 2, Split: 1, Transpose: 1, Softmax: 1, Div: 1,
    });
    expect(Object.keys(a.opCounts).slice(0, 3)).toEqual(['Conv', 'Sigmoid', 'Mul']);
    expect(a.topOps.map((t) => t.op)).toEqual(['Conv', 'Sigmoid', 'Mul', 'Concat', 'Add']);
    expect(a.macs.total).toBeGreaterThan(3.8e9);
    expect(a.macs.total).toBeLessThan(4.2e9);
    expect(Object.keys(a.macs.byOpType)).toEqual(['Conv']);
    expect(a.unresolvedShapes).toEqual({});
    expect(a.floatConv).toBe(76);
    expect(Object.values(a.quantization).every((n) => n === 0)).toBe(true);
    expect(a.fusions.find((f) => f.pattern.includes('SiLU'))!.count).toBe(69);
    // float32 weights: 4 bytes each
    expect(a.parameters.byDtype.float32!.bytes).toBe(4 * a.parameters.byDtype.float32!.count);
    expect(a.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: [1, 3, 640, 640] }]);
    expect(a.outputs).toEqual([{ name: 'output0', dtype: 'float32', shape: [1, 84, 8400] }]);
    expect(a.opset['ai.onnx']).toBe(17);
  });

  it('published dynamic INT8: census, same MACs, 1-byte weights', () => {
    const fp32 = analyzeModel(loadModelSync(asset('models', 'yolov5nu_fp32.onnx')));
    const a = analyzeModel(loadModelSync(asset('models', 'yolov5nu_int8_dynamic_published.onnx')));
    expect(a.nodes).toBe(703);
    expect(a.quantization).toEqual({
      DynamicQuantizeLinear: 63, QuantizeLinear: 0, DequantizeLinear: 0, ConvInteger: 76,
      MatMulInteger: 0, QLinearConv: 0, QLinearMatMul: 0,
    });
    expect(a.floatConv).toBe(0);
    expect(a.macs.byOpType).toEqual({ ConvInteger: fp32.macs.total });
    const uint8 = a.parameters.byDtype.uint8!;
    expect(uint8.bytes).toBe(uint8.count);
    expect(uint8.count / a.parameters.count).toBeGreaterThan(0.95);
    expect(a.parameterBytes).toBeLessThan(fp32.parameterBytes / 3.5);
    expect(a.unresolvedShapes).toEqual({});
  });

  it('torch exports with Shape/Gather/Constant chains resolve completely', () => {
    for (const parts of [['reference', 'yolov5n_fp32_torch.onnx'], ['ultralytics', 'yolo11n_torch.onnx']]) {
      const a = analyzeModel(loadModelSync(asset(...parts)));
      expect(a.unresolvedShapes).toEqual({});
      expect(a.macs.uncounted).toEqual([]);
      expect(a.macs.total).toBeGreaterThan(1e9);
    }
  });
});

describe.skipIf(!hasAssets)('quantization census of a QDQ model', () => {
  it('counts DequantizeLinear and the Conv nodes in QDQ form separately from float ones', async () => {
    const fp32 = await loadModel(asset('models', 'yolov5nu_fp32.onnx'));
    const { model } = await quantizeStatic(fp32, { calibration: { imageDir: asset('coco128', 'images'), limit: 2 } });
    const a = analyzeModel(model);
    expect(a.quantization.QuantizeLinear).toBeGreaterThan(100);
    expect(a.quantization.DequantizeLinear).toBeGreaterThan(a.quantization.QuantizeLinear!);
    expect(a.qdqCompute + a.floatConv).toBe(76);
    expect(a.qdqCompute).toBeGreaterThan(60);
  });
});
