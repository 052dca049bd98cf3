import { makeNode } from '../onnx/builder.js';
import { indexGraph, uniqueNamer, type GraphIndex } from '../onnx/graph.js';
import { makeTensor, tensorToArray, tensorToFloat32 } from '../onnx/tensor.js';
import { DataType, type GraphProto, type NodeProto, type TensorProto } from '../onnx/types.js';
import { quantizeTensor, type QuantType } from './math.js';

/** Names of a quantized value: the integer tensor plus the scale and zero point that dequantize it. */
export interface QuantizedValue {
  quantized: string;
  scale: string;
  zeroPoint: string;
}

export interface WeightRequest {
  /** Per-channel along this axis; omit for per-tensor. */
  axis?: number;
  /** Shape for the per-channel scale so it broadcasts against the op's output (e.g. [1,M,1,1] for Conv). */
  scaleDims?: number[];
  /** Store the zero point as a scalar even when per-channel (all channels must then share it). */
  scalarZeroPoint?: boolean;
  /** Force a symmetric range (overrides the default for the weight type). */
  symmetric?: boolean;
  /** Transpose a 2-D weight before quantizing (Gemm with transB=1 → MatMulInteger's [K,N]). */
  transpose?: boolean;
}

export interface DynamicSettings {
  weightType: QuantType;
  perChannel: boolean;
  symmetricWeights: boolean;
  /** Keep the exact step of weights already on a quantization grid (lossless re-quantization). */
  snapToGrid: boolean;
}

/**
 * Shared state of one dynamic-quantization pass: the graph index, a name generator, one
 * DynamicQuantizeLinear per activation tensor (shared by all its consumers, as onnxruntime does) and
 * one quantized copy per weight initializer. Rules ask it for quantized values and get names back.
 */
export class DynamicQuantizeContext {
  readonly index: GraphIndex;
  readonly settings: DynamicSettings;
  readonly newInitializers: TensorProto[] = [];
  readonly weightStats = { tensors: 0, floatBytes: 0, quantizedBytes: 0, gridSnapped: 0 };
  private readonly name: (base: string) => string;
  private readonly activations = new Map<string, QuantizedValue>();
  private readonly weights = new Map<string, QuantizedValue>();
  private readonly valueTypes = new Map<string, number>();

  constructor(graph: GraphProto, settings: DynamicSettings) {
    this.index = indexGraph(graph);
    this.settings = settings;
    this.name = uniqueNamer(graph);
    for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) {
      const elemType = v.type?.tensorType?.elemType;
      if (v.name && elemType) this.valueTypes.set(v.name, elemType);
    }
  }

  /** A fresh name, `base` itself when it is free (so names match onnxruntime's tool). */
  uniqueName(base: string): string {
    return this.name(base);
  }

  initializer(name: string): TensorProto | undefined {
    return this.index.initializers.get(name);
  }

  /** A float32 constant weight, or why the tensor cannot be quantized as one. */
  weightProblem(name: string, what = 'weight'): string | undefined {
    const tensor = this.initializer(name);
    if (!tensor) return `${what} '${name}' is not a constant initializer`;
    if (tensor.dataType !== DataType.FLOAT) return `${what} '${name}' is ${DataType[tensor.dataType ?? 0]?.toLowerCase()}, only float32 is quantized`;
    return undefined;
  }

  /**
   * Whether a runtime tensor is float32. Types come from graph inputs / value_info / initializers;
   * tensors nobody declared are assumed float, as onnxruntime's tool does after shape inference.
   */
  isFloatTensor(name: string): boolean {
    const init = this.initializer(name);
    if (init) return init.dataType === DataType.FLOAT;
    const type = this.valueTypes.get(name);
    return type === undefined || type === DataType.FLOAT;
  }

  /**
   * The uint8 quantized form of an activation. The first request returns the DynamicQuantizeLinear
   * node to insert (in `nodes`); later requests for the same tensor reuse its outputs.
   */
  activation(tensor: string): QuantizedValue & { nodes: NodeProto[] } {
    const existing = this.activations.get(tensor);
    if (existing) return { ...existing, nodes: [] };
    const value: QuantizedValue = {
      quantized: this.uniqueName(`${tensor}_quantized`),
      scale: this.uniqueName(`${tensor}_scale`),
      zeroPoint: this.uniqueName(`${tensor}_zero_point`),
    };
    this.activations.set(tensor, value);
    const node = makeNode('DynamicQuantizeLinear', [tensor], [value.quantized, value.scale, value.zeroPoint], {}, {
      name: this.uniqueName(`${tensor}_QuantizeLinear`),
    });
    return { ...value, nodes: [node] };
  }

  /** The quantized initializers for a float weight, created once per (weight, layout) and reused. */
  weight(name: string, request: WeightRequest = {}): QuantizedValue {
    const key = `${name}\u0000${request.transpose ? 'T' : ''}\u0000${request.axis ?? ''}`;
    const cached = this.weights.get(key);
    if (cached) return cached;
    const tensor = this.initializer(name);
    if (!tensor) throw new Error(`weight '${name}' is not an initializer`); // rules check first
    let values = readFloat32(tensor);
    let dims = tensor.dims.map(Number);
    if (request.transpose) {
      values = transpose2d(values, dims[0]!, dims[1]!);
      dims = [dims[1]!, dims[0]!];
    }
    const symmetric = request.symmetric ?? this.settings.symmetricWeights;
    const type = this.settings.weightType;
    const q = quantizeTensor(values, dims, { type, symmetric, axis: request.axis, snapToGrid: this.settings.snapToGrid });
    const base = request.transpose ? `${name}_transposed` : name;
    const value: QuantizedValue = {
      quantized: this.uniqueName(`${base}_quantized`),
      scale: this.uniqueName(`${base}_scale`),
      zeroPoint: this.uniqueName(`${base}_zero_point`),
    };
    const perChannel = request.axis !== undefined;
    const zpArray = type === 'uint8' ? Uint8Array.from(q.zeroPoints) : Int8Array.from(q.zeroPoints);
    const zeroPoints = perChannel && request.scalarZeroPoint ? zpArray.subarray(0, 1) : zpArray;
    const scaleDims = perChannel ? (request.scaleDims ?? [q.scales.length]) : [];
    const zpDims = perChannel && !request.scalarZeroPoint ? [q.zeroPoints.length] : [];
    const storage = type === 'uint8' ? DataType.UINT8 : DataType.INT8;
    this.newInitializers.push(
      makeTensor(value.quantized, q.data, dims, storage),
      makeTensor(value.scale, q.scales, scaleDims, DataType.FLOAT),
      makeTensor(value.zeroPoint, zeroPoints, zpDims, storage),
    );
    this.weightStats.tensors += 1;
    this.weightStats.floatBytes += values.length * 4;
    this.weightStats.quantizedBytes += q.data.length;
    if (q.snapped > 0) this.weightStats.gridSnapped += 1;
    this.weights.set(key, value);
    return value;
  }
}

/** A float initializer's values as a float32 copy the quantizer may modify without touching the source model. */
export function readFloat32(tensor: TensorProto): Float32Array {
  return tensorToFloat32(tensor).slice();
}

function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}
