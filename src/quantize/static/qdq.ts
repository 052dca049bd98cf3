import { makeNode } from '../../onnx/builder.js';
import { indexGraph, removeUnusedInitializers, topologicalSort, uniqueNamer } from '../../onnx/graph.js';
import { elementCount, makeTensor, tensorToFloat32 } from '../../onnx/tensor.js';
import { DataType, type GraphProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { EdgeoptError } from '../../util/errors.js';
import type { TensorRange } from '../calibrate/methods.js';
import { computeQParams, quantizeTensor, roundHalfToEven, type QParams, type QuantType } from '../math.js';
import { STATIC_OP_RULES } from './ops.js';
import type { QuantPlan } from './plan.js';

export interface QdqOptions {
  activationType: QuantType;
  /** One weight scale per output channel (axis 0) instead of one per tensor. */
  perChannel: boolean;
  /** Conv name → per-channel shift subtracted from its float bias before quantizing it (bias correction). */
  biasShifts?: Readonly<Record<string, readonly number[]>>;
}

export interface ActivationQParams extends QParams {
  range: TensorRange;
}

export interface QdqResult {
  /** Activation tensors that got a QuantizeLinear → DequantizeLinear pair. */
  activationPairs: number;
  weights: { tensors: number; floatBytes: number; quantizedBytes: number };
  biases: number;
  /** Scale and zero point chosen per activation tensor (the report and tests read them). */
  activations: Map<string, ActivationQParams>;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Rewrites the graph in place into onnxruntime's QDQ form for the planned nodes:
 * - one Q→DQ pair per activation tensor, shared by all quantized consumers; when the producer is quantized the
 *   producer writes `<t>_float` and the DQ writes `<t>` itself, so every consumer (and a graph output) sees the
 *   quantized value and nothing else holds the float tensor — that is what lets the producer fuse;
 * - Conv weights as int8 symmetric initializers (per-channel axis 0) behind a DequantizeLinear;
 * - Conv bias as int32 with scale = input scale × weight scale (zero point 0), so the QLinearConv accumulator
 *   adds it without rescaling.
 */
export function insertQdq(graph: GraphProto, plan: QuantPlan, ranges: ReadonlyMap<string, TensorRange>, options: QdqOptions): QdqResult {
  const index = indexGraph(graph);
  const name = uniqueNamer(graph);
  const quantized = new Set(plan.nodes);
  const symmetric = options.activationType === 'int8';
  const zeroPointType = options.activationType === 'uint8' ? DataType.UINT8 : DataType.INT8;

  // Scale/zero-point initializers per range root, so same-scale tensors share the very same initializers.
  const params = new Map<string, ActivationQParams & { scaleName: string; zeroPointName: string }>();
  const qparamsOf = (tensor: string) => {
    const root = plan.aliases.get(tensor) ?? tensor;
    let p = params.get(root);
    if (!p) {
      const range = ranges.get(root);
      if (!range) throw new EdgeoptError(`no calibrated range for tensor '${root}'`);
      const q = computeQParams(range.min, range.max, options.activationType, symmetric);
      const scaleName = name(`${root}_scale`);
      const zeroPointName = name(`${root}_zero_point`);
      graph.initializer.push(makeTensor(scaleName, Float32Array.of(q.scale), []));
      graph.initializer.push(
        makeTensor(zeroPointName, options.activationType === 'uint8' ? Uint8Array.of(q.zeroPoint) : Int8Array.of(q.zeroPoint), [], zeroPointType),
      );
      p = { ...q, range, scaleName, zeroPointName };
      params.set(root, p);
    }
    return p;
  };

  // Activation tensors to wrap: quantized nodes' activation inputs and outputs.
  const activationTensors = new Set<string>();
  for (const node of plan.nodes) {
    const rule = STATIC_OP_RULES[node.opType ?? '']!;
    for (const i of rule.activationInputs(node)) {
      const t = node.input[i];
      if (t && !index.initializers.has(t)) activationTensors.add(t);
    }
    activationTensors.add(node.output[0]!);
  }

  const added: NodeProto[] = [];
  const dequantized = new Map<string, string>(); // float tensor → the name quantized consumers read
  for (const tensor of activationTensors) {
    const p = qparamsOf(tensor);
    const producer = index.producer.get(tensor);
    const quantizedName = name(`${tensor}_quantized`);
    if (producer && quantized.has(producer)) {
      const floatName = name(`${tensor}_float`);
      producer.output = producer.output.map((o) => (o === tensor ? floatName : o));
      added.push(makeNode('QuantizeLinear', [floatName, p.scaleName, p.zeroPointName], [quantizedName], {}, { name: name(`${tensor}_QuantizeLinear`) }));
      added.push(makeNode('DequantizeLinear', [quantizedName, p.scaleName, p.zeroPointName], [tensor], {}, { name: name(`${tensor}_DequantizeLinear`) }));
      dequantized.set(tensor, tensor);
    } else {
      const dqName = name(`${tensor}_dequantized`);
      added.push(makeNode('QuantizeLinear', [tensor, p.scaleName, p.zeroPointName], [quantizedName], {}, { name: name(`${tensor}_QuantizeLinear`) }));
      added.push(makeNode('DequantizeLinear', [quantizedName, p.scaleName, p.zeroPointName], [dqName], {}, { name: name(`${tensor}_DequantizeLinear`) }));
      dequantized.set(tensor, dqName);
    }
  }
  // A conv's bias scale depends on its input's scale: remember which float tensor each conv reads before rewiring.
  const convInput = new Map(plan.nodes.map((n) => [n, n.input[0]!]));
  for (const node of plan.nodes) {
    const rule = STATIC_OP_RULES[node.opType ?? '']!;
    for (const i of rule.activationInputs(node)) {
      const t = node.input[i];
      if (t && dequantized.has(t)) node.input[i] = dequantized.get(t)!;
    }
  }

  // Conv weights and biases.
  const weights = { tensors: 0, floatBytes: 0, quantizedBytes: 0 };
  let biases = 0;
  const weightCache = new Map<string, { dq: string; scales: Float32Array }>();
  for (const node of plan.nodes) {
    if (STATIC_OP_RULES[node.opType ?? '']!.kind !== 'conv') continue;
    const weightName = node.input[1]!;
    let w = weightCache.get(weightName);
    if (!w) {
      w = quantizeWeight(graph, index.initializers.get(weightName)!, options.perChannel, name, added);
      weightCache.set(weightName, w);
      const count = elementCount(index.initializers.get(weightName)!.dims);
      weights.tensors++;
      weights.floatBytes += count * 4;
      weights.quantizedBytes += count;
    }
    node.input[1] = w.dq;
    const biasName = node.input[2];
    if (biasName) {
      const inputScale = qparamsOf(convInput.get(node)!).scale;
      node.input[2] = quantizeBias(graph, index.initializers.get(biasName)!, inputScale, w.scales, name, added, options.biasShifts?.[node.name ?? '']);
      biases++;
    }
  }
  graph.node.push(...added);
  graph.node = topologicalSort(graph);
  removeUnusedInitializers(graph);
  return {
    activationPairs: activationTensors.size,
    weights,
    biases,
    activations: new Map([...activationTensors].map((t) => {
      const p = params.get(plan.aliases.get(t) ?? t)!;
      return [t, { scale: p.scale, zeroPoint: p.zeroPoint, range: p.range }];
    })),
  };
}

function quantizeWeight(
  graph: GraphProto,
  weight: TensorProto,
  perChannel: boolean,
  name: (base: string) => string,
  added: NodeProto[],
): { dq: string; scales: Float32Array } {
  const values = tensorToFloat32(weight);
  const q = quantizeTensor(values, weight.dims, { type: 'int8', symmetric: true, axis: perChannel ? 0 : undefined });
  const base = weight.name ?? 'weight';
  const dataName = name(`${base}_quantized`);
  const scaleName = name(`${base}_scale`);
  const zeroPointName = name(`${base}_zero_point`);
  const channels = q.scales.length;
  graph.initializer.push(makeTensor(dataName, q.data, weight.dims, DataType.INT8));
  graph.initializer.push(makeTensor(scaleName, q.scales, perChannel ? [channels] : []));
  graph.initializer.push(makeTensor(zeroPointName, Int8Array.from(q.zeroPoints), perChannel ? [channels] : [], DataType.INT8));
  const dq = name(`${base}_dequantized`);
  added.push(makeNode('DequantizeLinear', [dataName, scaleName, zeroPointName], [dq], perChannel ? { axis: 0 } : {}, { name: name(`${base}_DequantizeLinear`) }));
  return { dq, scales: q.scales };
}

/** Bias as int32 in units of input scale × weight scale (per output channel); returns the dequantized tensor's name. */
function quantizeBias(
  graph: GraphProto,
  bias: TensorProto,
  inputScale: number,
  weightScales: Float32Array,
  name: (base: string) => string,
  added: NodeProto[],
  shift?: readonly number[],
): string {
  const values = tensorToFloat32(bias).slice();
  if (shift && shift.length === values.length) for (let c = 0; c < values.length; c++) values[c] = values[c]! - shift[c]!;
  const scales = new Float32Array(values.length);
  const data = new Int32Array(values.length);
  for (let c = 0; c < values.length; c++) {
    // float32 product, as onnxruntime's quantizer computes it; the kernel folds this exact value.
    const scale = Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]!);
    scales[c] = scale;
    const q = scale > 0 ? roundHalfToEven(values[c]! / scale) : 0;
    data[c] = Math.min(INT32_MAX, Math.max(INT32_MIN, q));
  }
  const base = bias.name ?? 'bias';
  const dataName = name(`${base}_quantized`);
  const scaleName = name(`${base}_scale`);
  const zeroPointName = name(`${base}_zero_point`);
  graph.initializer.push(makeTensor(dataName, data, bias.dims));
  graph.initializer.push(makeTensor(scaleName, scales, [values.length]));
  graph.initializer.push(makeTensor(zeroPointName, new Int32Array(values.length), [values.length]));
  const dq = name(`${base}_dequantized`);
  added.push(makeNode('DequantizeLinear', [dataName, scaleName, zeroPointName], [dq], { axis: 0 }, { name: name(`${base}_DequantizeLinear`) }));
  return dq;
}
