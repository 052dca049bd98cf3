import { getAttribute, getIntAttribute, makeNode } from '../onnx/builder.js';
import { indexGraph, removeUnusedInitializers, topologicalSort, uniqueNamer } from '../onnx/graph.js';
import { makeTensor, tensorToFloat32 } from '../onnx/tensor.js';
import { DataType, type GraphProto, type LoadedModel, type NodeProto, type TensorProto } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { float32ToFloat16Bits } from '../util/float16.js';

/**
 * Ops kept in float32 by default: index/range producers and sampling ops whose float16 versions are either absent
 * from the ONNX spec or numerically meaningless (a Range of anchor coordinates in fp16 loses whole pixels).
 * Ops that merely lack an fp16 CPU kernel need no entry: onnxruntime inserts Casts around them itself (and the
 * benchmark shows what that costs).
 */
export const DEFAULT_FP16_BLOCKLIST: readonly string[] = [
  'NonMaxSuppression',
  'RoiAlign',
  'TopK',
  'Range',
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
];

/** Inputs that the spec requires to stay float32 whatever the data type (Resize's roi and scales). */
const FLOAT32_INPUTS: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };

/** Ops whose float output type is not their first input's type. */
const OUTPUT_TYPE: Record<string, (node: NodeProto, typeOf: (t: string) => number | undefined) => number | undefined> = {
  Cast: (node) => getIntAttribute(node, 'to'),
  CastLike: (node, typeOf) => typeOf(node.input[1] ?? ''),
  Shape: () => DataType.INT64,
  Size: () => DataType.INT64,
  NonZero: () => DataType.INT64,
  ArgMax: () => DataType.INT64,
  ArgMin: () => DataType.INT64,
  NonMaxSuppression: () => DataType.INT64,
  Constant: (node) => {
    const value = getAttribute(node, 'value');
    if (value && typeof value === 'object' && 'dims' in value) return value.dataType;
    if (getAttribute(node, 'value_float') !== undefined || getAttribute(node, 'value_floats') !== undefined) return DataType.FLOAT;
    return DataType.INT64;
  },
  ConstantOfShape: (node) => {
    const value = getAttribute(node, 'value');
    return value && typeof value === 'object' && 'dims' in value ? value.dataType : DataType.FLOAT;
  },
  Equal: () => DataType.BOOL,
  Less: () => DataType.BOOL,
  LessOrEqual: () => DataType.BOOL,
  Greater: () => DataType.BOOL,
  GreaterOrEqual: () => DataType.BOOL,
  Not: () => DataType.BOOL,
  And: () => DataType.BOOL,
  Or: () => DataType.BOOL,
  Xor: () => DataType.BOOL,
  IsNaN: () => DataType.BOOL,
  IsInf: () => DataType.BOOL,
  Where: (node, typeOf) => typeOf(node.input[1] ?? ''),
  QuantizeLinear: (node, typeOf) => typeOf(node.input[2] ?? '') ?? DataType.UINT8,
  DequantizeLinear: () => DataType.FLOAT,
};

export interface Fp16Options {
  /** Keep float32 graph inputs and outputs, with Casts at the boundary (default true). */
  keepIoTypes?: boolean;
  /** Op types kept float32 in addition to {@link DEFAULT_FP16_BLOCKLIST}. */
  blockList?: string[];
  /** Node names kept float32. */
  excludeNodes?: string[];
}

export interface Fp16Report {
  schemaVersion: 1;
  mode: 'fp16';
  keepIoTypes: boolean;
  convertedInitializers: number;
  /** Initializer values beyond float16's range (±65504), clamped. */
  clampedValues: number;
  /** Non-zero values that became zero (below float16's smallest subnormal). */
  flushedToZero: number;
  castsInserted: number;
  /** Nodes kept in float32 (blocked op types or names), with their op type. */
  float32Nodes: Array<{ node: string; opType: string }>;
  weights: { floatBytes: number; float16Bytes: number };
  nodesBefore: number;
  nodesAfter: number;
  notes: string[];
}

const FP16_MAX = 65504;

/** Float tensor types per tensor name: value_info when present, else propagated through the graph. */
function inferFloatTypes(graph: GraphProto): Map<string, number> {
  const types = new Map<string, number>();
  for (const t of graph.initializer) types.set(t.name ?? '', t.dataType ?? 0);
  for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    const elem = v.type?.tensorType?.elemType;
    if (elem) types.set(v.name ?? '', elem);
  }
  const typeOf = (t: string) => types.get(t);
  for (const node of topologicalSort(graph)) {
    const rule = OUTPUT_TYPE[node.opType ?? ''];
    const type = rule ? rule(node, typeOf) : typeOf(node.input[0] ?? '');
    for (const out of node.output) if (out && !types.has(out) && type !== undefined) types.set(out, type);
  }
  return types;
}

function toFloat16Tensor(source: TensorProto, name: string, counts: { clamped: number; flushed: number }): TensorProto {
  const values = tensorToFloat32(source);
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (v > FP16_MAX) {
      v = FP16_MAX;
      counts.clamped++;
    } else if (v < -FP16_MAX) {
      v = -FP16_MAX;
      counts.clamped++;
    }
    bits[i] = float32ToFloat16Bits(v);
    if (v !== 0 && (bits[i]! & 0x7fff) === 0) counts.flushed++;
  }
  return makeTensor(name, bits, source.dims, DataType.FLOAT16);
}

/**
 * Converts a float32 model to float16 weights and compute. Graph inputs/outputs stay float32 behind Casts
 * (`keepIoTypes`), blocked ops stay float32 with Casts around them, Resize's roi/scales stay float32 as the spec
 * requires, and integer tensors (shapes, indices) are untouched. The input model is not modified.
 */
export function convertToFloat16(input: LoadedModel, options: Fp16Options = {}): { model: LoadedModel; report: Fp16Report } {
  const keepIoTypes = options.keepIoTypes ?? true;
  if (typeof keepIoTypes !== 'boolean') throw new EdgeoptError('keepIoTypes must be true or false');
  const blockList = options.blockList ?? [];
  if (!Array.isArray(blockList) || blockList.some((b) => typeof b !== 'string' || b === '')) {
    throw new EdgeoptError('fp16 blockList must be a list of op types');
  }
  const model = structuredClone(input);
  const graph = model.graph;
  const nodesBefore = graph.node.length;
  if (graph.initializer.some((t) => t.dataType === DataType.FLOAT16) || graph.input.some((i) => i.type?.tensorType?.elemType === DataType.FLOAT16)) {
    throw new EdgeoptError('model already contains float16 tensors; convert the float32 model instead');
  }
  const blockedOps = new Set([...DEFAULT_FP16_BLOCKLIST, ...blockList]);
  const blockedNames = new Set(options.excludeNodes ?? []);
  const types = inferFloatTypes(graph);
  const index = indexGraph(graph);
  const name = uniqueNamer(graph);
  const isFloat = (t: string) => types.get(t) === DataType.FLOAT;
  const isBlocked = (n: NodeProto) => blockedOps.has(n.opType ?? '') || blockedNames.has(n.name ?? '') || (!!n.domain && n.domain !== 'ai.onnx');
  const wantsFp16 = (n: NodeProto, position: number) => !isBlocked(n) && !(FLOAT32_INPUTS[n.opType ?? ''] ?? []).includes(position);

  // Region nodes: their float outputs become float16 (Cast nodes change their target type instead).
  const fp16Tensors = new Set<string>();
  for (const node of graph.node) {
    if (isBlocked(node)) continue;
    if (node.opType === 'Cast') {
      if (getIntAttribute(node, 'to') === DataType.FLOAT) {
        node.attribute = node.attribute.filter((a) => a.name !== 'to');
        node.attribute.push(makeNode('Cast', [], [], { to: DataType.FLOAT16 }).attribute[0]!);
        fp16Tensors.add(node.output[0]!);
      }
      continue;
    }
    if (node.opType === 'Constant') {
      const attr = node.attribute.find((a) => a.name === 'value');
      if (attr?.t && attr.t.dataType === DataType.FLOAT) {
        attr.t = toFloat16Tensor(attr.t, attr.t.name ?? '', { clamped: 0, flushed: 0 });
        fp16Tensors.add(node.output[0]!);
      }
      continue;
    }
    for (const out of node.output) if (out && isFloat(out)) fp16Tensors.add(out);
  }
  if (!keepIoTypes) {
    for (const input of graph.input) {
      if (input.type?.tensorType?.elemType === DataType.FLOAT && !index.initializers.has(input.name ?? '')) {
        input.type.tensorType.elemType = DataType.FLOAT16;
        fp16Tensors.add(input.name ?? '');
      }
    }
  }

  // Initializers: one float16 copy for fp16 uses; the float32 original stays only if something still needs it.
  const counts = { clamped: 0, flushed: 0 };
  const halfInitializers = new Map<string, string>();
  let convertedInitializers = 0;
  let floatBytes = 0;
  let float16Bytes = 0;
  const casts: NodeProto[] = [];
  const castCache = new Map<string, string>();
  const castTo = (tensor: string, to: DataType) => {
    const key = `${tensor}\u0000${to}`;
    let out = castCache.get(key);
    if (!out) {
      out = name(`${tensor}_${to === DataType.FLOAT16 ? 'fp16' : 'fp32'}`);
      casts.push(makeNode('Cast', [tensor], [out], { to }, { name: name(`${tensor}_Cast`) }));
      castCache.set(key, out);
    }
    return out;
  };
  for (const node of graph.node) {
    if (node.opType === 'Cast' || node.opType === 'Constant') continue;
    node.input.forEach((tensor, position) => {
      if (!tensor) return;
      const initializer = index.initializers.get(tensor);
      const want16 = wantsFp16(node, position);
      if (initializer) {
        if (initializer.dataType !== DataType.FLOAT || !want16) return;
        let half = halfInitializers.get(tensor);
        if (!half) {
          half = name(`${tensor}_fp16`);
          graph.initializer.push(toFloat16Tensor(initializer, half, counts));
          halfInitializers.set(tensor, half);
          convertedInitializers++;
          floatBytes += tensorToFloat32(initializer).length * 4;
          float16Bytes += tensorToFloat32(initializer).length * 2;
        }
        node.input[position] = half;
        return;
      }
      const is16 = fp16Tensors.has(tensor);
      const isF32 = !is16 && isFloat(tensor);
      if (want16 && isF32) node.input[position] = castTo(tensor, DataType.FLOAT16);
      else if (!want16 && is16) node.input[position] = castTo(tensor, DataType.FLOAT);
    });
  }
  // Float32 graph outputs produced in float16: the producer writes `<out>_fp16`, a Cast restores `<out>`.
  for (const output of graph.output) {
    const out = output.name ?? '';
    if (!fp16Tensors.has(out)) continue;
    if (!keepIoTypes) {
      if (output.type?.tensorType) output.type.tensorType.elemType = DataType.FLOAT16;
      continue;
    }
    const renamed = name(`${out}_fp16`);
    for (const node of graph.node) {
      node.output = node.output.map((o) => (o === out ? renamed : o));
      node.input = node.input.map((i) => (i === out ? renamed : i));
    }
    for (const c of casts) c.input = c.input.map((i) => (i === out ? renamed : i));
    fp16Tensors.delete(out);
    fp16Tensors.add(renamed);
    casts.push(makeNode('Cast', [renamed], [out], { to: DataType.FLOAT }, { name: name(`${out}_Cast`) }));
  }
  for (const v of graph.valueInfo) {
    if (fp16Tensors.has(v.name ?? '') && v.type?.tensorType) v.type.tensorType.elemType = DataType.FLOAT16;
  }
  graph.node.push(...casts);
  graph.node = topologicalSort(graph);
  removeUnusedInitializers(graph);
  const float32Nodes = graph.node.filter((n) => isBlocked(n)).map((n) => ({ node: n.name ?? '', opType: n.opType ?? '' }));
  const notes: string[] = [];
  if (counts.clamped > 0) notes.push(`${counts.clamped} weight value(s) beyond ±65504 clamped to float16's range`);
  if (counts.flushed > 0) notes.push(`${counts.flushed} tiny weight value(s) became 0 in float16`);
  notes.push('CPUs without native float16 arithmetic run this model through casts: benchmark it before choosing it');
  return {
    model,
    report: {
      schemaVersion: 1,
      mode: 'fp16',
      keepIoTypes,
      convertedInitializers,
      clampedValues: counts.clamped,
      flushedToZero: counts.flushed,
      castsInserted: casts.length,
      float32Nodes,
      weights: { floatBytes, float16Bytes },
      nodesBefore,
      nodesAfter: graph.node.length,
      notes,
    },
  };
}
