import { TOOL_VERSION } from '../util/version.js';
import { EdgeoptError } from '../util/errors.js';
import {
  AttributeType,
  DataType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './types.js';

/** Attribute values as code writes them: numbers are INT unless wrapped with {@link float}. */
export type AttributeValue = number | string | number[] | string[] | TensorProto | GraphProto | FloatAttr | FloatsAttr;
interface FloatAttr { kind: 'float'; value: number }
interface FloatsAttr { kind: 'floats'; value: number[] }

/** Marks a number as a FLOAT attribute (alpha, epsilon, scales) rather than INT. */
export const float = (value: number): FloatAttr => ({ kind: 'float', value });
export const floats = (value: number[]): FloatsAttr => ({ kind: 'floats', value });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function emptyAttribute(name: string): AttributeProto {
  return { name, floats: [], ints: [], strings: [], tensors: [], graphs: [] };
}

export function makeAttribute(name: string, value: AttributeValue): AttributeProto {
  const attr = emptyAttribute(name);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new EdgeoptError(`attribute '${name}': ${value} is not an integer; wrap floats with float()`);
    return { ...attr, type: AttributeType.INT, i: value };
  }
  if (typeof value === 'string') return { ...attr, type: AttributeType.STRING, s: encoder.encode(value) };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { ...attr, type: AttributeType.STRINGS, strings: (value as string[]).map((v) => encoder.encode(v)) };
    }
    return { ...attr, type: AttributeType.INTS, ints: [...(value as number[])] };
  }
  if ('kind' in value) {
    return value.kind === 'float'
      ? { ...attr, type: AttributeType.FLOAT, f: value.value }
      : { ...attr, type: AttributeType.FLOATS, floats: [...value.value] };
  }
  if ('node' in value) return { ...attr, type: AttributeType.GRAPH, g: value };
  return { ...attr, type: AttributeType.TENSOR, t: value };
}

export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeValue> = {},
  options: { name?: string; domain?: string } = {},
): NodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: options.name ?? outputs[0] ?? opType,
    domain: options.domain ?? '',
    attribute: Object.entries(attributes).map(([key, value]) => makeAttribute(key, value)),
  };
}

/** A tensor value description; dims given as strings become symbolic (e.g. 'batch'). */
export function makeValueInfo(name: string, elemType: DataType, shape?: ReadonlyArray<number | string>): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: shape ? { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

export function makeGraph(parts: Partial<GraphProto> & { name?: string }): GraphProto {
  return {
    node: parts.node ?? [],
    name: parts.name ?? 'edgeopt',
    initializer: parts.initializer ?? [],
    sparseInitializer: [],
    input: parts.input ?? [],
    output: parts.output ?? [],
    valueInfo: parts.valueInfo ?? [],
    quantizationAnnotation: [],
  };
}

export function makeModel(
  graph: GraphProto,
  options: { opset?: number; extraOpsets?: Record<string, number>; producerName?: string; producerVersion?: string; irVersion?: number; metadata?: Record<string, string> } = {},
): ModelProto & { graph: GraphProto } {
  const opset = options.opset ?? 17;
  return {
    // IR version 8 is what onnx writes for opsets 15–18; onnxruntime 1.30 reads up to 10.
    irVersion: options.irVersion ?? (opset >= 21 ? 10 : opset >= 19 ? 9 : opset >= 15 ? 8 : 7),
    opsetImport: [
      { domain: '', version: opset },
      ...Object.entries(options.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version })),
    ],
    producerName: options.producerName ?? 'edgeopt',
    producerVersion: options.producerVersion ?? TOOL_VERSION,
    graph,
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    functions: [],
  };
}

/** The attribute's value, decoded: numbers, strings, arrays, tensors; undefined when absent. */
export function getAttribute(node: NodeProto, name: string): AttributeValueRead | undefined {
  const attr = node.attribute.find((a) => a.name === name);
  if (!attr) return undefined;
  switch (attr.type) {
    case AttributeType.FLOAT: return attr.f ?? 0;
    case AttributeType.INT: return Number(attr.i ?? 0);
    case AttributeType.STRING: return decoder.decode(attr.s ?? new Uint8Array());
    case AttributeType.FLOATS: return attr.floats;
    case AttributeType.INTS: return attr.ints.map(Number);
    case AttributeType.STRINGS: return attr.strings.map((s) => decoder.decode(s));
    case AttributeType.TENSOR: return attr.t;
    case AttributeType.GRAPH: return attr.g;
    default: return undefined;
  }
}
export type AttributeValueRead = number | string | number[] | string[] | TensorProto | GraphProto;

export function getIntAttribute(node: NodeProto, name: string, fallback: number): number;
export function getIntAttribute(node: NodeProto, name: string): number | undefined;
export function getIntAttribute(node: NodeProto, name: string, fallback?: number): number | undefined {
  const v = getAttribute(node, name);
  return typeof v === 'number' ? v : fallback;
}

export function getIntsAttribute(node: NodeProto, name: string): number[] | undefined {
  const v = getAttribute(node, name);
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

export function getStringAttribute(node: NodeProto, name: string): string | undefined {
  const v = getAttribute(node, name);
  return typeof v === 'string' ? v : undefined;
}

export function getFloatAttribute(node: NodeProto, name: string, fallback: number): number {
  const v = getAttribute(node, name);
  return typeof v === 'number' ? v : fallback;
}

/** Sets (or replaces) one attribute on a node in place. */
export function setAttribute(node: NodeProto, name: string, value: AttributeValue): void {
  const attr = makeAttribute(name, value);
  const index = node.attribute.findIndex((a) => a.name === name);
  if (index >= 0) node.attribute[index] = attr;
  else node.attribute.push(attr);
}

/** Model metadata_props as a plain record (stride, names, imgsz, …). */
export function getMetadata(model: Pick<ModelProto, 'metadataProps'>): Record<string, string> {
  return Object.fromEntries(model.metadataProps.map((e) => [e.key ?? '', e.value ?? '']));
}

/**
 * Extra metadata for a file about to be written, computed from the model itself (edgeopt's writers take one, so a
 * later stage — the model contract — can stamp every file without the writers knowing what it is).
 */
export type MetadataStamp = (model: ModelProto) => Record<string, string>;

/** Sets metadata_props keys, replacing existing entries with the same key. */
export function setMetadata(model: ModelProto, entries: Record<string, string>): void {
  const keys = new Set(Object.keys(entries));
  model.metadataProps = [...model.metadataProps.filter((e) => !keys.has(e.key ?? '')), ...Object.entries(entries).map(([key, value]) => ({ key, value }))];
}
