/**
 * Reading only the part of an ONNX file that describes the model from outside: IR version, opsets, the graph's
 * inputs and outputs, its initializers' names, and the metadata. Every other field (the nodes, every weight) is
 * skipped by its length instead of decoded, so the model contract (`edgeopt inspect`, and every command that
 * resolves one from a file) costs a fraction of a full load, and external weight files are never opened.
 *
 * Why protobuf's wire format is walked here and not with protobufjs, which decodes every full model (model-io.ts):
 * loading protobufjs and building a decoder from a schema takes ~30 ms, more than the whole start-up budget of
 * `edgeopt inspect` (≤ 2x `node -e 0`, ~50 ms here). The header is five message types and three wire types; a test
 * checks that it reads every zoo model exactly as the full protobufjs reader does. Field numbers are onnx.proto's,
 * as in schema.ts.
 */
import { readFile } from 'node:fs/promises';
import { EdgeoptError, describeError } from '../util/errors.js';
import type { OperatorSetIdProto, StringStringEntryProto, TensorShapeDimension, TypeProto, ValueInfoProto } from './types.js';

/** Highest IR version edgeopt's readers understand (ONNX 1.16+ writes 10). */
export const MAX_IR_VERSION = 11;

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
    (b) => readModel(new WireReader(b, 0, b.byteLength)),
    (m) => m.graph !== undefined && (m.graph.input.length > 0 || m.graph.output.length > 0),
  ) as ModelHeader;
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

// ---- protobuf wire format (https://protobuf.dev/programming-guides/encoding/), only what the header needs ----

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;
const utf8 = new TextDecoder();

/** A cursor over one message's bytes [pos, end). Every read checks the end, so truncated bytes throw, never overrun. */
class WireReader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a JS number: exact below 2^53 (every int64 in a header is), negative int64s kept negative. */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new Error(`index out of range: ${this.pos} + 1 > ${this.end}`);
      const byte = this.bytes[this.pos++]!;
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28;
        hi |= (byte & 0x7f) >> 4;
      } else hi |= (byte & 0x7f) << (shift - 32);
      if (byte < 0x80) {
        lo >>>= 0;
        return hi & 0x80000000 ? -((~hi >>> 0) * 2 ** 32 + (~lo >>> 0) + 1) : (hi >>> 0) * 2 ** 32 + lo;
      }
    }
    throw new Error('invalid varint encoding');
  }

  /** The reader of a length-delimited field's bytes; this one moves past them. */
  sub(): WireReader {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) throw new Error(`index out of range: ${start} + ${length} > ${this.end}`);
    this.pos += length;
    return new WireReader(this.bytes, start, start + length);
  }

  string(): string {
    const r = this.sub();
    return utf8.decode(this.bytes.subarray(r.pos, r.end));
  }

  /** Skips one field's value of this wire type (what a decoder does with a field it does not declare). */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        return this.advance(8);
      case LENGTH_DELIMITED:
        this.sub();
        return;
      case FIXED32:
        return this.advance(4);
      case START_GROUP:
        for (;;) {
          const tag = this.varint();
          if ((tag & 7) === END_GROUP) return;
          this.skip(tag & 7);
        }
      default:
        throw new Error(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Error(`index out of range: ${this.pos} + ${n} > ${this.end}`);
    this.pos += n;
  }
}

/** Calls `field(number, wireType)` for each field of the message; `field` reads the value or returns false to skip it. */
function eachField(r: WireReader, field: (number: number, wireType: number) => boolean): void {
  while (!r.done) {
    const tag = r.varint();
    const number = tag >>> 3;
    const wireType = tag & 7;
    if (number === 0 || wireType === END_GROUP) throw new Error(`invalid tag ${tag} at offset ${r.pos}`);
    if (!field(number, wireType)) r.skip(wireType);
  }
}

function readEntry(r: WireReader): StringStringEntryProto {
  const entry: StringStringEntryProto = {};
  eachField(r, (n, w) => {
    if (w !== LENGTH_DELIMITED) return false;
    if (n === 1) entry.key = r.string();
    else if (n === 2) entry.value = r.string();
    else return false;
    return true;
  });
  return entry;
}

function readOpset(r: WireReader): OperatorSetIdProto {
  const opset: OperatorSetIdProto = {};
  eachField(r, (n, w) => {
    if (n === 1 && w === LENGTH_DELIMITED) opset.domain = r.string();
    else if (n === 2 && w === VARINT) opset.version = r.varint();
    else return false;
    return true;
  });
  return opset;
}

function readDimension(r: WireReader): TensorShapeDimension {
  const dim: TensorShapeDimension = {};
  eachField(r, (n, w) => {
    if (n === 1 && w === VARINT) dim.dimValue = r.varint();
    else if (n === 2 && w === LENGTH_DELIMITED) dim.dimParam = r.string();
    else if (n === 3 && w === LENGTH_DELIMITED) dim.denotation = r.string();
    else return false;
    return true;
  });
  return dim;
}

/** TypeProto: only tensor types (field 1) are read; sequence, map and optional types are skipped, as the contract ignores them. */
function readType(r: WireReader): TypeProto {
  const type: TypeProto = {};
  eachField(r, (n, w) => {
    if (n === 1 && w === LENGTH_DELIMITED) type.tensorType = readTensorType(r.sub());
    else if (n === 6 && w === LENGTH_DELIMITED) type.denotation = r.string();
    else return false;
    return true;
  });
  return type;
}

function readTensorType(r: WireReader): NonNullable<TypeProto['tensorType']> {
  const tensor: NonNullable<TypeProto['tensorType']> = {};
  eachField(r, (n, w) => {
    if (n === 1 && w === VARINT) tensor.elemType = r.varint();
    else if (n === 2 && w === LENGTH_DELIMITED) tensor.shape = readShape(r.sub());
    else return false;
    return true;
  });
  return tensor;
}

function readShape(r: WireReader): { dim: TensorShapeDimension[] } {
  const dim: TensorShapeDimension[] = [];
  eachField(r, (n, w) => {
    if (n !== 1 || w !== LENGTH_DELIMITED) return false;
    dim.push(readDimension(r.sub()));
    return true;
  });
  return { dim };
}

function readValueInfo(r: WireReader): ValueInfoProto {
  const info: ValueInfoProto = {};
  eachField(r, (n, w) => {
    if (n === 1 && w === LENGTH_DELIMITED) info.name = r.string();
    else if (n === 2 && w === LENGTH_DELIMITED) info.type = readType(r.sub());
    else return false;
    return true;
  });
  return info;
}

/** An initializer's name (TensorProto field 8); its data, the bulk of the file, is skipped by length. */
function readInitializerName(r: WireReader): { name?: string } {
  const tensor: { name?: string } = {};
  eachField(r, (n, w) => {
    if (n !== 8 || w !== LENGTH_DELIMITED) return false;
    tensor.name = r.string();
    return true;
  });
  return tensor;
}

function readGraph(r: WireReader): ModelHeader['graph'] {
  const graph: ModelHeader['graph'] = { initializer: [], input: [], output: [] };
  eachField(r, (n, w) => {
    if (w !== LENGTH_DELIMITED) return false;
    if (n === 2) graph.name = r.string();
    else if (n === 5) graph.initializer.push(readInitializerName(r.sub()));
    else if (n === 11) graph.input.push(readValueInfo(r.sub()));
    else if (n === 12) graph.output.push(readValueInfo(r.sub()));
    else return false;
    return true;
  });
  return graph;
}

/** ModelProto's header fields; `graph` stays undefined when the bytes hold none (decodeOnnxChecked says so). */
function readModel(r: WireReader): Omit<ModelHeader, 'graph'> & { graph?: ModelHeader['graph'] } {
  const model: Omit<ModelHeader, 'graph'> & { graph?: ModelHeader['graph'] } = { opsetImport: [], metadataProps: [] };
  eachField(r, (n, w) => {
    if (n === 1 && w === VARINT) model.irVersion = r.varint();
    else if (w !== LENGTH_DELIMITED) return false;
    else if (n === 2) model.producerName = r.string();
    else if (n === 3) model.producerVersion = r.string();
    else if (n === 7) model.graph = readGraph(r.sub());
    else if (n === 8) model.opsetImport.push(readOpset(r.sub()));
    else if (n === 14) model.metadataProps.push(readEntry(r.sub()));
    else return false;
    return true;
  });
  return model;
}
