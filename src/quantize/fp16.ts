import { getAttribute, getIntAttribute, makeAttribute, makeNode } from '../onnx/builder.js';
import { indexGraph, outerReferences, removeUnusedInitializers, subgraphs, topologicalSort, uniqueNamer } from '../onnx/graph.js';
import { inferShapes, type TensorType } from '../onnx/shapes.js';
import { makeTensor, tensorToFloat32 } from '../onnx/tensor.js';
import { DataType, type GraphProto, type LoadedModel, type NodeProto, type TensorProto } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { float32ToFloat16Bits } from '../util/float16.js';
import { assertNotQuantized } from './already-quantized.js';

/**
 * Ops kept in float32 by default: index/range producers and sampling ops whose float16 versions are either absent
 * from the ONNX spec or numerically meaningless (a Range of anchor coordinates in fp16 loses whole pixels), and
 * control flow, whose bodies declare float32 types of their own. Ops that merely lack an fp16 CPU kernel need no
 * entry: onnxruntime inserts Casts around them itself (and the benchmark shows what that costs).
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
  'If',
  'Loop',
  'Scan',
];

/** Inputs that the spec requires to stay float32 whatever the data type (Resize's roi and scales). */
const FLOAT32_INPUTS: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };

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
  /** Every note, once: clamped and flushed values, control flow kept in float32, the CPU caveat. */
  notes: string[];
}

const FP16_MAX = 65504;

interface Settings {
  keepIoTypes: boolean;
  blockedOps: Set<string>;
  blockedNames: Set<string>;
}

/** What one conversion decided and counted, passed from phase to phase. */
interface Conversion {
  graph: GraphProto;
  types: ReadonlyMap<string, TensorType>;
  settings: Settings;
  name: (base: string) => string;
  /** Tensors that hold float16 values after the conversion. */
  fp16: Set<string>;
  casts: NodeProto[];
  castCache: Map<string, string>;
  counts: { clamped: number; flushed: number; initializers: number; floatBytes: number; float16Bytes: number };
}

function resolveSettings(options: Fp16Options): Settings {
  const keepIoTypes = options.keepIoTypes ?? true;
  if (typeof keepIoTypes !== 'boolean') throw new EdgeoptError('keepIoTypes must be true or false');
  const blockList = options.blockList ?? [];
  if (!Array.isArray(blockList) || blockList.some((b) => typeof b !== 'string' || b === '')) {
    throw new EdgeoptError('fp16 blockList must be a list of op types');
  }
  return { keepIoTypes, blockedOps: new Set([...DEFAULT_FP16_BLOCKLIST, ...blockList]), blockedNames: new Set(options.excludeNodes ?? []) };
}

function assertConvertible(model: LoadedModel): void {
  const graph = model.graph;
  if (graph.initializer.some((t) => t.dataType === DataType.FLOAT16) || graph.input.some((i) => i.type?.tensorType?.elemType === DataType.FLOAT16)) {
    throw new EdgeoptError('model already contains float16 tensors; convert the float32 model instead');
  }
  assertNotQuantized(model, 'FP16 conversion');
}

const isBlocked = (c: Conversion, n: NodeProto) =>
  c.settings.blockedOps.has(n.opType ?? '') || c.settings.blockedNames.has(n.name ?? '') || (!!n.domain && n.domain !== 'ai.onnx');
const isFloat32 = (c: Conversion, t: string) => c.types.get(t)?.dataType === DataType.FLOAT;

function toFloat16Tensor(source: TensorProto, name: string, counts: Conversion['counts']): TensorProto {
  const values = tensorToFloat32(source);
  const bits = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i]!;
    if (v > FP16_MAX || v < -FP16_MAX) {
      v = Math.sign(v) * FP16_MAX;
      counts.clamped++;
    }
    bits[i] = float32ToFloat16Bits(v);
    if (v !== 0 && (bits[i]! & 0x7fff) === 0) counts.flushed++;
  }
  return makeTensor(name, bits, source.dims, DataType.FLOAT16);
}

/** Whether `node` reads its input at `position` as float16. */
function wantsFloat16(c: Conversion, node: NodeProto, position: number, blocked = isBlocked(c, node)): boolean {
  return !blocked && !(FLOAT32_INPUTS[node.opType ?? ''] ?? []).includes(position);
}

/**
 * Phase 1: which tensors become float16 — float32 outputs of every node that is not kept in float32, except
 * Constants that only float32 readers use (a Resize's scales stay exact).
 */
function markFloat16Tensors(c: Conversion): void {
  const { consumers } = indexGraph(c.graph);
  for (const node of c.graph.node) {
    if (isBlocked(c, node)) continue;
    for (const out of node.output) {
      if (!out || !isFloat32(c, out)) continue;
      const readers = consumers.get(out) ?? [];
      const onlyFloat32Readers = readers.length > 0 && readers.every((r) => r.input.every((i, p) => i !== out || !wantsFloat16(c, r, p)));
      if (node.opType === 'Constant' && onlyFloat32Readers) continue;
      c.fp16.add(out);
    }
  }
  if (!c.settings.keepIoTypes) {
    const initializers = new Set(c.graph.initializer.map((t) => t.name));
    for (const input of c.graph.input) {
      if (input.type?.tensorType?.elemType === DataType.FLOAT && !initializers.has(input.name)) {
        input.type.tensorType.elemType = DataType.FLOAT16;
        c.fp16.add(input.name ?? '');
      }
    }
  }
}

/** Phase 2: nodes that create float values themselves: Cast to float32 now casts to float16, Constants hold float16. */
function retargetFloatSources(c: Conversion): void {
  for (const node of c.graph.node) {
    const out = node.output[0] ?? '';
    if (!c.fp16.has(out)) continue;
    if (node.opType === 'Cast' && getIntAttribute(node, 'to') === DataType.FLOAT) {
      node.attribute = [...node.attribute.filter((a) => a.name !== 'to'), makeAttribute('to', DataType.FLOAT16)];
    } else if (node.opType === 'Constant') {
      const value = getAttribute(node, 'value');
      const floats = getAttribute(node, 'value_float') ?? getAttribute(node, 'value_floats');
      const tensor = value && typeof value === 'object' && 'dims' in value
        ? value
        : makeTensor(out, Float32Array.from(Array.isArray(floats) ? (floats as number[]) : [floats as number]), Array.isArray(floats) ? [floats.length] : []);
      node.attribute = [makeAttribute('value', toFloat16Tensor(tensor, tensor.name ?? out, c.counts))];
    }
  }
}

function castTo(c: Conversion, tensor: string, to: DataType): string {
  const key = `${tensor}\u0000${to}`;
  let out = c.castCache.get(key);
  if (!out) {
    out = c.name(`${tensor}_${to === DataType.FLOAT16 ? 'fp16' : 'fp32'}`);
    c.casts.push(makeNode('Cast', [tensor], [out], { to }, { name: c.name(`${tensor}_Cast`) }));
    c.castCache.set(key, out);
  }
  return out;
}

/** The name a reader should use for `tensor`: a float16 copy, a float32 cast, or the tensor itself. */
function readAs(c: Conversion, tensor: string, want16: boolean, half: Map<string, string>, initializers: Map<string, TensorProto>): string {
  const initializer = initializers.get(tensor);
  if (initializer) {
    if (initializer.dataType !== DataType.FLOAT || !want16) return tensor;
    let copy = half.get(tensor);
    if (!copy) {
      copy = c.name(`${tensor}_fp16`);
      c.graph.initializer.push(toFloat16Tensor(initializer, copy, c.counts));
      half.set(tensor, copy);
      const n = tensorToFloat32(initializer).length;
      c.counts.initializers++;
      c.counts.floatBytes += n * 4;
      c.counts.float16Bytes += n * 2;
    }
    return copy;
  }
  const is16 = c.fp16.has(tensor);
  if (want16 && !is16 && isFloat32(c, tensor)) return castTo(c, tensor, DataType.FLOAT16);
  if (!want16 && is16) return castTo(c, tensor, DataType.FLOAT);
  return tensor;
}

/**
 * Phase 3: every reader gets the element type it computes in. Float16 nodes read float16 copies of float initializers
 * (made once) and Casts of float32 tensors; float32 nodes (blocked ops, Resize's roi/scales) read Casts back of
 * float16 tensors. A control-flow body that reads an outer tensor by name is rewired to the float32 Cast.
 */
function connectReaders(c: Conversion): void {
  const initializers = indexGraph(c.graph).initializers;
  const half = new Map<string, string>();
  for (const node of c.graph.node) {
    // A Cast reads any type as it is; a Constant reads nothing.
    if (node.opType === 'Constant' || node.opType === 'Cast') continue;
    const blocked = isBlocked(c, node);
    node.input.forEach((tensor, position) => {
      if (!tensor) return;
      node.input[position] = readAs(c, tensor, wantsFloat16(c, node, position, blocked), half, initializers);
    });
    for (const outer of outerReferences(node)) {
      const read = readAs(c, outer, false, half, initializers);
      if (read !== outer) renameInSubgraphs(node, outer, read);
    }
  }
}

function renameInSubgraphs(node: NodeProto, from: string, to: string): void {
  for (const g of subgraphs(node)) {
    for (const inner of g.node) {
      inner.input = inner.input.map((i) => (i === from ? to : i));
      renameInSubgraphs(inner, from, to);
    }
  }
}

/** Phase 4: graph outputs keep float32 behind a final Cast (keepIoTypes), or are declared float16. */
function restoreOutputs(c: Conversion): void {
  for (const output of c.graph.output) {
    const out = output.name ?? '';
    if (!c.fp16.has(out)) continue;
    if (!c.settings.keepIoTypes) {
      if (output.type?.tensorType) output.type.tensorType.elemType = DataType.FLOAT16;
      continue;
    }
    // The producer writes `<out>_fp16` and a Cast restores `<out>`, so the output keeps its name and type.
    const renamed = c.name(`${out}_fp16`);
    for (const node of [...c.graph.node, ...c.casts]) {
      node.output = node.output.map((o) => (o === out ? renamed : o));
      node.input = node.input.map((i) => (i === out ? renamed : i));
    }
    c.fp16.delete(out);
    c.fp16.add(renamed);
    c.casts.push(makeNode('Cast', [renamed], [out], { to: DataType.FLOAT }, { name: c.name(`${out}_Cast`) }));
  }
  for (const v of c.graph.valueInfo) {
    if (c.fp16.has(v.name ?? '') && v.type?.tensorType) v.type.tensorType.elemType = DataType.FLOAT16;
  }
}

/**
 * Converts a float32 model to float16 weights and compute. Element types come from shape inference (so int64
 * indices stay int64 and only float32 tensors change). Graph inputs/outputs stay float32 behind Casts (`keepIoTypes`),
 * blocked ops stay float32 with Casts around them, Resize's roi/scales stay float32 as the spec requires. The input
 * model is not modified.
 */
export function convertToFloat16(input: LoadedModel, options: Fp16Options = {}): { model: LoadedModel; report: Fp16Report } {
  const settings = resolveSettings(options);
  assertConvertible(input);
  const model = structuredClone(input);
  const graph = model.graph;
  const nodesBefore = graph.node.length;
  const c: Conversion = {
    graph,
    types: inferShapes(model),
    settings,
    name: uniqueNamer(graph),
    fp16: new Set(),
    casts: [],
    castCache: new Map(),
    counts: { clamped: 0, flushed: 0, initializers: 0, floatBytes: 0, float16Bytes: 0 },
  };
  markFloat16Tensors(c);
  retargetFloatSources(c);
  connectReaders(c);
  restoreOutputs(c);
  graph.node.push(...c.casts);
  graph.node = topologicalSort(graph);
  removeUnusedInitializers(graph);
  const float32Nodes = graph.node.filter((n) => isBlocked(c, n)).map((n) => ({ node: n.name ?? '', opType: n.opType ?? '' }));
  const notes: string[] = [];
  if (c.counts.clamped > 0) notes.push(`${c.counts.clamped} weight value(s) beyond ±65504 clamped to float16's range`);
  if (c.counts.flushed > 0) notes.push(`${c.counts.flushed} tiny weight value(s) became 0 in float16`);
  const controlFlow = float32Nodes.filter((n) => ['If', 'Loop', 'Scan'].includes(n.opType));
  if (controlFlow.length > 0) notes.push(`${controlFlow.length} If/Loop/Scan node(s) and their bodies left in float32`);
  notes.push('CPUs without native float16 arithmetic run this model through casts: benchmark it before choosing it');
  return {
    model,
    report: {
      schemaVersion: 1,
      mode: 'fp16',
      keepIoTypes: settings.keepIoTypes,
      convertedInitializers: c.counts.initializers,
      clampedValues: c.counts.clamped,
      flushedToZero: c.counts.flushed,
      castsInserted: c.casts.length,
      float32Nodes,
      weights: { floatBytes: c.counts.floatBytes, float16Bytes: c.counts.float16Bytes },
      nodesBefore,
      nodesAfter: graph.node.length,
      notes,
    },
  };
}
