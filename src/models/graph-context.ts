/**
 * The state one graph build accumulates: nodes, initializers, the torch parameter count, and the choices that
 * change how ops are spelled (opset, static or symbolic batch). Blocks receive it and append to it; names follow
 * the PyTorch exporter's scheme ('/model.2/cv1/conv/Conv', 'model.2.cv1.conv.weight') so that a converted graph
 * reads like an official export.
 */
import { makeNode, type AttributeValue } from '../onnx/builder.js';
import { makeInt64Tensor, makeTensor } from '../onnx/tensor.js';
import type { NodeProto, TensorProto } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import type { WeightSource } from './weights.js';

/** A tensor flowing between layers, with the static NCHW shape the builder tracks (batch excluded). */
export interface FeatureMap {
  name: string;
  channels: number;
  height: number;
  width: number;
}

export interface GraphContextOptions {
  opset: number;
  dynamicBatch: boolean;
  weights: WeightSource;
}

export class GraphContext {
  readonly opset: number;
  readonly dynamicBatch: boolean;
  readonly weights: WeightSource;
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /** Parameters of the unfused torch model (conv weights, BN γ/β, conv biases), as torch counts them. */
  params = 0;
  /** The layer being built, e.g. 'layer 4 (C3)', for error messages. */
  layer = '';
  private readonly usedNames = new Map<string, number>();
  private readonly initializerNames = new Set<string>();

  constructor(options: GraphContextOptions) {
    this.opset = options.opset;
    this.dynamicBatch = options.dynamicBatch;
    this.weights = options.weights;
  }

  /**
   * Appends one node in module scope `scope` ('model.2.m.0.cv1') and returns its output names. Node names get
   * '_1', '_2' suffixes when one scope holds several nodes of one op, as torch's exporter does.
   */
  add(op: string, scope: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputCount = 1): string[] {
    const base = `/${scopePath(scope)}/${op}`;
    const seen = this.usedNames.get(base) ?? 0;
    this.usedNames.set(base, seen + 1);
    const name = seen === 0 ? base : `${base}_${seen}`;
    const outputs = Array.from({ length: outputCount }, (_, i) => `${name}_output_${i}`);
    this.nodes.push(makeNode(op, inputs, outputs, attributes, { name }));
    return outputs;
  }

  /** Adds (once) a float32 initializer and returns its name. */
  floatInitializer(name: string, data: Float32Array, dims: readonly number[]): string {
    if (this.initializerNames.has(name)) throw new EdgeoptError(`internal: initializer '${name}' defined twice`);
    this.initializerNames.add(name);
    this.initializers.push(makeTensor(name, data, dims));
    return name;
  }

  /** A shared int64 constant (shapes, split sizes, slice bounds), named after its values so it is stored once. */
  int64Constant(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = `const_i64_${dims.length === 0 ? 'scalar_' : ''}${values.map((v) => (v < 0 ? `m${-v}` : String(v))).join('_') || 'empty'}`;
    if (!this.initializerNames.has(name)) {
      this.initializerNames.add(name);
      this.initializers.push(makeInt64Tensor(name, values, dims));
    }
    return name;
  }

  /** A shared float32 scalar constant. */
  floatScalar(value: number): string {
    const name = `const_f32_${String(value).replace('-', 'm').replace('.', 'p')}`;
    if (!this.initializerNames.has(name)) {
      this.initializerNames.add(name);
      this.initializers.push(makeTensor(name, new Float32Array([value]), []));
    }
    return name;
  }

  /** The batch entry of a Reshape target: the literal 1, or 0 ("copy the input's dim") for a symbolic batch. */
  get reshapeBatch(): number {
    return this.dynamicBatch ? 0 : 1;
  }

  /**
   * Split along `axis` into `sizes`: an input since opset 13, an attribute before.
   */
  split(scope: string, input: string, sizes: number[], axis: number): string[] {
    if (this.opset >= 13) return this.add('Split', scope, [input, this.int64Constant(sizes)], { axis }, sizes.length);
    return this.add('Split', scope, [input], { axis, split: sizes }, sizes.length);
  }
}

/** 'model.2.m.0.cv1' → 'model.2/m.0/cv1': a dot before a name starts a new scope, a dot before an index does not. */
export function scopePath(scope: string): string {
  return scope.replace(/\.(?=[^0-9])/g, '/');
}
