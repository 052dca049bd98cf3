/**
 * Reading only the part of an ONNX file that describes the model from outside: IR version, opsets, the graph's
 * inputs and outputs, its initializers' names, and the metadata. A schema that declares nothing else makes
 * protobufjs skip the nodes and every weight by their lengths instead of decoding them, so the model contract
 * (`edgeopt inspect`, and every command that resolves one from a file) costs a fraction of a full load, and
 * external weight files are never opened. Field numbers are onnx.proto's, as in schema.ts.
 */
import { readFile } from 'node:fs/promises';
import protobuf from 'protobufjs';
import { EdgeoptError, describeError } from '../util/errors.js';
import type { OperatorSetIdProto, StringStringEntryProto, ValueInfoProto } from './types.js';

/** Highest IR version edgeopt's readers understand (ONNX 1.16+ writes 10). */
export const MAX_IR_VERSION = 11;

const HEADER_SCHEMA = `
syntax = "proto2";
package onnxheader;
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } optional string denotation = 3; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
  optional string denotation = 6;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message TensorProto { optional string name = 8; }
message GraphProto {
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

// As in model-io.ts: int64 fields decode as JS numbers (every such value in a model header is far below 2^53).
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
const HeaderType = protobuf.parse(HEADER_SCHEMA, { keepCase: false }).root.lookupType('onnxheader.ModelProto');

export interface ModelHeader {
  irVersion?: number;
  opsetImport: OperatorSetIdProto[];
  producerName?: string;
  producerVersion?: string;
  graph: { name?: string; initializer: Array<{ name?: string }>; input: ValueInfoProto[]; output: ValueInfoProto[] };
  metadataProps: StringStringEntryProto[];
}

/**
 * Decodes ONNX bytes with one protobuf type and the checks every reader makes, each failing in one line: empty
 * input, bytes that do not decode, a model without a graph (`hasGraph` says what counts), an IR version edgeopt
 * does not know. The header reader and the full reader (model-io's decodeModel) share it.
 */
export function decodeOnnxChecked<T extends { irVersion?: number; graph?: unknown }>(
  bytes: Uint8Array,
  source: string,
  decode: (bytes: Uint8Array) => T,
  hasGraph: (model: T) => boolean,
): T {
  if (bytes.byteLength === 0) throw new EdgeoptError(`${source} is empty, not an ONNX model`);
  let model: T;
  try {
    model = decode(bytes);
  } catch (err) {
    throw new EdgeoptError(`${source} is not a valid ONNX model (${describeError(err)}): truncated or not ONNX`);
  }
  if (!model.graph || !hasGraph(model)) throw new EdgeoptError(`${source} is not an ONNX model: it has no graph`);
  const ir = model.irVersion ?? 0;
  if (ir <= 0 || ir > MAX_IR_VERSION) {
    throw new EdgeoptError(`${source} has unsupported ONNX IR version ${ir} (supported: 1 to ${MAX_IR_VERSION})`);
  }
  return model;
}

/** Decodes the header of ONNX bytes, with the same one-line errors as a full decode (model-io's decodeModel). */
export function decodeModelHeader(bytes: Uint8Array, source = 'input'): ModelHeader {
  return decodeOnnxChecked(
    bytes,
    source,
    (b) => HeaderType.decode(b) as unknown as ModelHeader,
    (m) => m.graph.input.length > 0 || m.graph.output.length > 0,
  );
}

export async function loadModelHeader(path: string): Promise<ModelHeader> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new EdgeoptError(`cannot read model ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeError(err)}`);
  }
  return decodeModelHeader(bytes, path);
}
