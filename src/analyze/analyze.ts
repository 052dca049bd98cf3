import { getAttribute } from '../onnx/builder.js';
import { indexGraph } from '../onnx/graph.js';
import { runShapeInference, unitInputShapes, type Dim, type TensorType } from '../onnx/shapes.js';
import { dataTypeName, elementCount, tensorByteSize } from '../onnx/tensor.js';
import type { ModelProto, TensorProto, ValueInfoProto } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { quantizationCensus } from './census.js';
import { describeQuantization, type QuantizationSummary } from './quantized.js';
import { findFusions, type FusionOpportunity } from './fusions.js';
import { countMacs } from './macs.js';

export interface TensorSummary {
  name: string;
  dtype: string;
  shape: Dim[];
}

/** What `edgeopt analyze` reports about a model: a plain JSON-able record. */
export interface ModelAnalysis {
  schemaVersion: 1;
  producer: { name: string; version: string };
  irVersion: number;
  /** Domain (the default domain as 'ai.onnx') → opset version. */
  opset: Record<string, number>;
  nodes: number;
  /** Op type → node count, most frequent first. */
  opCounts: Record<string, number>;
  topOps: Array<{ op: string; count: number }>;
  /** Stored tensor elements (initializers and Constant nodes), in total and per dtype. */
  parameters: { count: number; byDtype: Record<string, { count: number; bytes: number }> };
  /** Bytes those tensors take in their actual dtypes. */
  parameterBytes: number;
  /** Size of the model file, when analysed from a file. */
  fileBytes: number | null;
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  /** Quantization op → count (the core ops always present, 0 when absent). */
  quantization: Record<string, number>;
  /** Conv and MatMul/Gemm nodes still in float. */
  floatConv: number;
  floatMatMul: number;
  /** Conv/MatMul/Gemm in QDQ form, which onnxruntime fuses into integer kernels. */
  qdqCompute: number;
  /** Whether and how the model is already quantized (dynamic, QDQ, QOperator), its weight types and integer ops. */
  quantized: QuantizationSummary;
  /** Multiply-accumulates from inferred shapes; FLOPs = 2 × MACs. */
  macs: {
    total: number;
    byOpType: Record<string, number>;
    uncounted: string[];
    /** Inputs whose dynamic dims (e.g. the batch) were taken as 1 for the count. */
    dynamicDimsAsOne?: string[];
  };
  flops: number;
  fusions: FusionOpportunity[];
  /** Nodes whose output shapes could not be inferred (op type: count). */
  unresolvedShapes: Record<string, number>;
}

export interface AnalyzeOptions {
  fileBytes?: number;
}

export function analyzeModel(model: ModelProto, options: AnalyzeOptions = {}): ModelAnalysis {
  const graph = model.graph;
  if (!graph) throw new EdgeoptError('model has no graph to analyze');
  const nodes = graph.node;
  const shapes = runShapeInference(model);
  const opCounts = sortedCounts(nodes.map((n) => n.opType ?? ''));
  const census = quantizationCensus(nodes);
  // Dynamic input dims (batch, sometimes height/width) are counted as 1: MACs per image at the declared size.
  const assumed = unitInputShapes(model);
  const dynamicInputs = Object.keys(assumed);
  const concrete = dynamicInputs.length ? runShapeInference(model, { inputShapes: assumed }) : shapes;
  const macs = { ...countMacs(nodes, concrete.types), ...(dynamicInputs.length ? { dynamicDimsAsOne: dynamicInputs } : {}) };
  const { parameters, parameterBytes } = countParameters([
    ...graph.initializer,
    ...nodes.filter((n) => n.opType === 'Constant').flatMap((n) => {
      const t = getAttribute(n, 'value');
      return t && typeof t === 'object' && 'dims' in t ? [t] : [];
    }),
  ]);
  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  return {
    schemaVersion: 1,
    producer: { name: model.producerName ?? '', version: model.producerVersion ?? '' },
    irVersion: Number(model.irVersion ?? 0),
    opset: Object.fromEntries(model.opsetImport.map((o) => [o.domain || 'ai.onnx', Number(o.version ?? 0)])),
    nodes: nodes.length,
    opCounts,
    topOps: Object.entries(opCounts).slice(0, 5).map(([op, count]) => ({ op, count })),
    parameters,
    parameterBytes,
    fileBytes: options.fileBytes ?? null,
    // Old exporters list initializers among the graph inputs; they are not inputs a caller feeds.
    inputs: graph.input.filter((v) => !initializerNames.has(v.name ?? '')).map((v) => summarize(v, shapes.types)),
    outputs: graph.output.map((v) => summarize(v, shapes.types)),
    quantization: census.ops,
    floatConv: census.floatConv,
    floatMatMul: census.floatMatMul,
    qdqCompute: census.qdqCompute,
    quantized: describeQuantization(graph),
    macs,
    flops: 2 * macs.total,
    fusions: findFusions(nodes, indexGraph(graph)),
    unresolvedShapes: sortedCounts(concrete.unresolved.map((n) => n.opType ?? '')),
  };
}

function sortedCounts(items: string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  // Ties keep first-seen (graph) order, so the output is stable.
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

function countParameters(tensors: TensorProto[]): Pick<ModelAnalysis, 'parameters' | 'parameterBytes'> {
  const byDtype: Record<string, { count: number; bytes: number }> = {};
  let count = 0;
  let bytes = 0;
  for (const tensor of tensors) {
    const n = elementCount(tensor.dims);
    const size = tensorByteSize(tensor);
    const entry = (byDtype[dataTypeName(tensor.dataType)] ??= { count: 0, bytes: 0 });
    entry.count += n;
    entry.bytes += size;
    count += n;
    bytes += size;
  }
  const sorted = Object.fromEntries(Object.entries(byDtype).sort((a, b) => b[1].bytes - a[1].bytes));
  return { parameters: { count, byDtype: sorted }, parameterBytes: bytes };
}

function summarize(info: ValueInfoProto, types: ReadonlyMap<string, TensorType>): TensorSummary {
  const name = info.name ?? '';
  const t = types.get(name);
  return { name, dtype: t ? dataTypeName(t.dataType) : 'unknown', shape: t?.shape ?? [] };
}
